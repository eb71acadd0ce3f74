/**
 * `file://<path>` values in prompt tests (variables, assertion values), as promptfoo writes them.
 * Paths are relative to the repository root and must stay inside it: the check is syntactic (for
 * validation) and repeated by the reader on the real path (a symbolic link cannot lead outside).
 * Each side of a change reads its own files: the head from the working tree, the base from its
 * commit (`readerFor` in src/config/repo-reader.ts; docs/evaluation.md). JSON and YAML files become
 * data; anything else is text.
 */
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { FILE_PREFIX, fileRefProblem, isFileRef } from '../config/file-refs.ts';
import type { RepoReader } from '../config/repo-reader.ts';
import { readerFor } from '../config/repo-reader.ts';
import type { Assertion, JsonValue, Project, PromptVersion } from '../config/types.ts';

/** Contents of `file://` references by reference; an unreadable one maps to an Error. */
export type FileContents = ReadonlyMap<string, JsonValue | Error>;

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

/** Reads the references through `reader`; one that cannot be read (or escapes via a link) maps to an Error. */
export async function loadFileRefs(
  reader: RepoReader,
  refs: Iterable<string>,
): Promise<Map<string, JsonValue | Error>> {
  const out = new Map<string, JsonValue | Error>();
  for (const ref of refs) {
    const problem = fileRefProblem(ref);
    if (problem) {
      out.set(ref, new Error(problem));
      continue;
    }
    const path = ref.slice(FILE_PREFIX.length);
    const read = await reader.read(path);
    if (!read.ok) {
      out.set(ref, new Error(read.message));
      continue;
    }
    try {
      const text = read.text;
      const ext = extname(path).toLowerCase();
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

/**
 * The version with the contents of the files its tests refer to in place, so two sides of a change
 * compare by what their tests hold (an edit of a referenced file is an edit of the tests).
 */
export function withFileContents(version: PromptVersion, files: FileContents | undefined): PromptVersion {
  return files ? { ...version, tests: resolveFileRefs(version.tests, files, []) } : version;
}

/** Every file reference of a project's tests. */
export const projectFileRefs = (project: Project): string[] =>
  [...new Set([...project.prompts.values()].flatMap((versions) => [...versions.values()].flatMap(fileRefsOf)))].sort();

/**
 * The referenced files of both sides, each read from its own side: the head from where it was
 * loaded (the working tree), the base from its commit (docs/evaluation.md). Without a base both
 * sides are the head's.
 */
export async function loadSideFiles(
  head: Project,
  base: Project | undefined,
): Promise<{ head: FileContents; base: FileContents }> {
  const headFiles = await loadFileRefs(readerFor(head), projectFileRefs(head));
  const baseFiles = base ? await loadFileRefs(readerFor(base), projectFileRefs(base)) : headFiles;
  return { head: headFiles, base: baseFiles };
}
