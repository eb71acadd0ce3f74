/**
 * Manifest metadata derived from git, so that a manifest is reproducible and its serial ordered:
 *
 * - `serial` = number of commits on the first-parent chain of the commit (`git rev-list
 *   --first-parent --count`). Every commit that lands on main — a feature, a `git revert`, a
 *   kill-switch commit — extends that chain by one, so it always gets a higher serial than anything
 *   published before it, while carrying whatever config it carries.
 * - `createdAt` = the commit's committer time (not the wall clock), so signing the same commit twice
 *   yields the same signed bytes.
 */

import { commitTimestamp, firstParentCount, resolveRef } from '../git/index.ts';

export interface GitBundleMeta {
  commit: string;
  serial: number;
  createdAt: Date;
}

/** Reads commit id, serial and creation time of `ref` in the repository at `root`. */
export async function gitBundleMeta(root: string, ref: string): Promise<GitBundleMeta> {
  const commit = await resolveRef(root, ref);
  const [serial, time] = await Promise.all([firstParentCount(root, commit), commitTimestamp(root, commit)]);
  return { commit, serial, createdAt: new Date(time) };
}
