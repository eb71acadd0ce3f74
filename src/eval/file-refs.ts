/**
 * `file://<path>` values anywhere in prompt tests (vars, assertion values, transforms), as promptfoo
 * writes them.
 * Paths are relative to the repository root and must stay inside it: the check is syntactic (for
 * validation) and repeated by the reader on the real path (a symbolic link cannot lead outside).
 * Each side of a change reads its own files: the head from the working tree, the base from its
 * commit (`readerFor` in src/config/repo-reader.ts; docs/evaluation.md). JSON and YAML files become
 * data; anything else is text.
 */
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { FILE_PREFIX, fileRefProblem, isFileRef, testFileRefs } from '../config/file-refs.ts';
import type { RepoReader } from '../config/repo-reader.ts';
import { readerFor } from '../config/repo-reader.ts';
import type { JsonValue, Project, PromptVersion } from '../config/types.ts';

/** Contents of `file://` references by reference; an unreadable one maps to an Error. */
export type FileContents = ReadonlyMap<string, JsonValue | Error>;

export { fileRefProblem, isFileRef };

/**
 * Every file reference of a version's tests — anywhere in them: vars, assertion values, `transform`
 * of a case or an assertion, assertion sets, defaultTest, any field promptfoo may add. One walker
 * (`testFileRefs`, the one validation uses) so that no field is read by one side and missed by the
 * cache key or the change detection.
 */
export function fileRefsOf(version: PromptVersion): string[] {
  return [...new Set(testFileRefs(version).map((r) => r.ref))].sort();
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

/** Extensions promptfoo loads as a module (a function), not as data, where it expects code. */
const CODE_EXTENSIONS = new Set(['.js', '.cjs', '.mjs', '.ts', '.cts', '.mts', '.py']);
const CODE_ASSERTIONS = /^(not-)?(javascript|python)$/;

/**
 * Whether promptfoo loads the value of `key` (in `parent`) as code: every `transform`, and the
 * value of a javascript/python assertion — when the file is a module (by extension).
 */
function isCodeRef(ref: string, key: string | undefined, parent: unknown): boolean {
  if (!CODE_EXTENSIONS.has(extname(ref).toLowerCase())) return false;
  if (key === 'transform' || key === 'transformVars') return true;
  const type = (parent as { type?: unknown } | undefined)?.type;
  return key === 'value' && typeof type === 'string' && CODE_ASSERTIONS.test(type);
}

/**
 * `value` with every file reference resolved from `files` (one side's contents), the walk that
 * `fileRefsOf` collects for. Data is put in place; a module where promptfoo expects code stays a
 * reference and its source goes to `code` (ref → text), so the caller keys on it and runs that
 * side's source (promptfoo-batch.ts). Unreadable references are listed in `problems`.
 */
export function resolveFileRefs<T>(
  value: T,
  files: ReadonlyMap<string, JsonValue | Error>,
  problems: string[],
  code?: Map<string, string>,
): T {
  const walk = (v: unknown, key?: string, parent?: unknown): unknown => {
    if (isFileRef(v)) {
      const content = files.get(v);
      if (content instanceof Error || content === undefined) {
        problems.push(content instanceof Error ? content.message : `${v}: not loaded`);
        return v;
      }
      if (code && isCodeRef(v, key, parent) && typeof content === 'string') {
        code.set(v, content);
        return v;
      }
      return content;
    }
    if (Array.isArray(v)) return v.map((x) => walk(x, key, parent));
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, k, v)]));
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
