/**
 * `file://<path>` references in prompt tests, as promptfoo writes them: relative to the repository
 * root and never leaving it (checked here syntactically; the evaluator checks the real path again
 * when it reads the file, so a symbolic link cannot lead outside either).
 */
import { isAbsolute, normalize, sep } from 'node:path';
import type { PromptVersion } from './types.ts';

export const FILE_PREFIX = 'file://';

export const isFileRef = (v: unknown): v is string => typeof v === 'string' && v.startsWith(FILE_PREFIX);

/** Why a reference is refused (absolute, or leaving the repository), or undefined when it is fine. */
export function fileRefProblem(ref: string): string | undefined {
  const path = ref.slice(FILE_PREFIX.length);
  if (path === '' || isAbsolute(path) || /^[A-Za-z]:/.test(path))
    return `${ref}: use a path relative to the repository root`;
  const clean = normalize(path);
  if (clean === '..' || clean.startsWith(`..${sep}`)) return `${ref}: points outside the repository`;
  return undefined;
}

/** One `file://` value and the JSON pointer (inside the version document) where it appears. */
export interface RefAt {
  ref: string;
  pointer: string;
}

function escapePointer(key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1');
}

/** Every `file://` value under `value`, with its pointer; first occurrence of each reference wins. */
function refsUnder(value: unknown, pointer: string, out: Map<string, string>): void {
  if (isFileRef(value)) {
    if (!out.has(value)) out.set(value, pointer);
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => refsUnder(v, `${pointer}/${i}`, out));
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) refsUnder(v, `${pointer}/${escapePointer(k)}`, out);
  }
}

/** The `file://` values in a version's tests (defaultTest, cases, assertion values), sorted. */
export function testFileRefs(version: Pick<PromptVersion, 'tests'>): RefAt[] {
  const out = new Map<string, string>();
  refsUnder(version.tests, '/tests', out);
  return [...out].map(([ref, pointer]) => ({ ref, pointer })).sort((a, b) => a.ref.localeCompare(b.ref));
}
