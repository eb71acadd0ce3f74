import { GitError, runGit } from './run-git.ts';

/** Refs are user input: refuse anything that git could read as an option. */
function assertRefSyntax(ref: string): void {
  if (ref === '' || ref.startsWith('-') || /[\s\0]/.test(ref)) {
    throw new GitError('E_GIT_BAD_REF', `not a valid git ref: '${ref}'`);
  }
}

/** True when `dir` is inside a git working tree (or is a bare repository). */
export async function isGitRepo(dir: string): Promise<boolean> {
  try {
    await runGit(dir, ['rev-parse', '--git-dir']);
    return true;
  } catch {
    return false;
  }
}

/** Resolves a ref (branch, tag, sha, `HEAD~1`, …) to the full sha of the commit it names. */
export async function resolveRef(dir: string, ref: string): Promise<string> {
  assertRefSyntax(ref);
  try {
    const out = await runGit(dir, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`]);
    return out.toString('utf8').trim();
  } catch (error) {
    if (error instanceof GitError && error.code === 'E_GIT_FAILED') {
      throw new GitError('E_GIT_UNKNOWN_REF', `unknown git ref '${ref}'`, error.stderr);
    }
    throw error;
  }
}

/** The sha of HEAD. */
export function headCommit(dir: string): Promise<string> {
  return resolveRef(dir, 'HEAD');
}

/** Number of commits on the first-parent chain ending at `ref` (a monotonic per-branch counter). */
export async function firstParentCount(dir: string, ref = 'HEAD'): Promise<number> {
  const sha = await resolveRef(dir, ref);
  const out = await runGit(dir, ['rev-list', '--first-parent', '--count', sha]);
  return Number.parseInt(out.toString('utf8').trim(), 10);
}

/** Committer timestamp of `ref` in milliseconds since the epoch (deterministic for a commit). */
export async function commitTimestamp(dir: string, ref = 'HEAD'): Promise<number> {
  const sha = await resolveRef(dir, ref);
  const out = await runGit(dir, ['show', '-s', '--format=%ct', sha]);
  return Number.parseInt(out.toString('utf8').trim(), 10) * 1000;
}

/** Repo-relative path of `dir` inside its working tree ('' at the top level), with a trailing slash otherwise. */
export async function pathPrefix(dir: string): Promise<string> {
  const out = await runGit(dir, ['rev-parse', '--show-prefix']);
  return out.toString('utf8').trim();
}
