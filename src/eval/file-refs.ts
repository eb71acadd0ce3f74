/**
 * `file://<path>` values in prompt tests (variables, assertion values), as promptfoo writes them.
 * Paths are relative to the repository root and must stay inside it: the check is syntactic (for
 * validation) and repeated on the real path when reading (a symbolic link cannot lead outside).
 * JSON and YAML files become data; anything else is text.
 */
import { readFile, realpath } from 'node:fs/promises';
import { extname, join, sep } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { FILE_PREFIX, fileRefProblem, isFileRef } from '../config/file-refs.ts';
import type { Assertion, JsonValue, PromptVersion } from '../config/types.ts';

export { fileRefProblem, isFileRef };

function collect(value: unknown, out: Set<string>): void {
  if (isFileRef(value)) out.add(value);
  else if (Array.isArray(value)) for (const v of value) collect(v, out);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) collect(v, out);
}

/** Every file reference of a version's tests (vars and assertion values, defaultTest included). */
export function fileRefsOf(version: PromptVersion): string[] {
  const out = new Set<string>();
  const assertions = (list: readonly Assertion[] | undefined) => {
    for (const a of list ?? []) {
      if (a.type === 'assert-set')
        for (const m of (a as { assert: Assertion[] }).assert) collect((m as { value?: unknown }).value, out);
      else collect((a as { value?: unknown }).value, out);
    }
  };
  collect(version.tests.defaultTest?.vars, out);
  assertions(version.tests.defaultTest?.assert);
  for (const c of version.tests.cases) {
    collect(c.vars, out);
    assertions(c.assert ?? []);
  }
  return [...out].sort();
}

/** Reads the references; a reference that cannot be read (or escapes via a link) maps to an Error. */
export async function loadFileRefs(root: string, refs: Iterable<string>): Promise<Map<string, JsonValue | Error>> {
  const out = new Map<string, JsonValue | Error>();
  const realRoot = await realpath(root);
  for (const ref of refs) {
    const problem = fileRefProblem(ref);
    if (problem) {
      out.set(ref, new Error(problem));
      continue;
    }
    try {
      const real = await realpath(join(root, ref.slice(FILE_PREFIX.length)));
      if (real !== realRoot && !real.startsWith(realRoot + sep)) throw new Error('points outside the repository');
      const text = await readFile(real, 'utf8');
      const ext = extname(real).toLowerCase();
      out.set(
        ref,
        ext === '.json'
          ? (JSON.parse(text) as JsonValue)
          : ext === '.yaml' || ext === '.yml'
            ? (parseYaml(text) as JsonValue)
            : text,
      );
    } catch (error) {
      out.set(ref, new Error(`${ref}: ${(error as Error).message}`));
    }
  }
  return out;
}

/** `value` with every file reference replaced by its content; unreadable ones are listed in `problems`. */
export function resolveFileRefs<T>(value: T, files: ReadonlyMap<string, JsonValue | Error>, problems: string[]): T {
  const walk = (v: unknown): unknown => {
    if (isFileRef(v)) {
      const content = files.get(v);
      if (content instanceof Error || content === undefined) {
        problems.push(content instanceof Error ? content.message : `${v}: not loaded`);
        return v;
      }
      return content;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as T;
}
