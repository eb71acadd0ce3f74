/**
 * Thin, safe wrappers over the `git` command (execFile, never a shell). Everything that reads history
 * — the loader at a ref, the history rules, the compiler's commit metadata — goes through here.
 */
export { GitError, runGit, type RunGitOptions } from './run-git.ts';
export { commitTimestamp, firstParentCount, headCommit, isGitRepo, pathPrefix, resolveRef } from './refs.ts';
export { uncommittedPaths } from './status.ts';
export { listDirAtRef, listFilesAtRef, readBlobs, readFileAtRef, type TreeEntry } from './tree.ts';
