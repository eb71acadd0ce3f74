import { runGit } from './run-git.ts';

/**
 * Paths (repo-relative) under `paths` that differ from HEAD in the working tree or the index,
 * untracked files included: what a command that reads the working tree judged beyond the commit.
 */
export async function uncommittedPaths(dir: string, paths: readonly string[]): Promise<string[]> {
  const out = (await runGit(dir, ['status', '--porcelain=v1', '-z', '--untracked-files=all', '--', ...paths])).toString(
    'utf8',
  );
  const entries = out.split('\0').filter((e) => e.length > 3);
  // `XY path` (renames carry the source as the next entry, which has no status prefix: skipped by length/shape).
  return [...new Set(entries.filter((e) => e[2] === ' ').map((e) => e.slice(3)))].sort();
}
