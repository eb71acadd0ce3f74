/**
 * `file://<path>` references in prompt tests, as promptfoo writes them: relative to the repository
 * root and never leaving it (checked here syntactically; the evaluator checks the real path again
 * when it reads the file, so a symbolic link cannot lead outside either).
 */
import { isAbsolute, normalize, sep } from 'node:path';

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
