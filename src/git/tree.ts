import { GitError, runGit } from './run-git.ts';
import { resolveRef } from './refs.ts';

/** One entry of a commit's tree. */
export interface TreeEntry {
  /** Path relative to the directory the listing was taken from, forward slashes. */
  path: string;
  /** Git file mode: `100644`, `100755`, `120000` (symlink), `160000` (submodule). */
  mode: string;
  type: 'blob' | 'tree' | 'commit';
  sha: string;
  /** Blob size in bytes (0 for non-blobs). */
  size: number;
}

/** Parses `git ls-tree -l -z` output: `<mode> <type> <sha> <size>\t<path>` records, NUL-separated. */
function parseLsTree(out: Buffer): TreeEntry[] {
  const entries: TreeEntry[] = [];
  for (const record of out.toString('utf8').split('\0')) {
    if (record === '') continue;
    const tab = record.indexOf('\t');
    const [mode = '', type = '', objectSha = '', size = '-'] = record.slice(0, tab).split(/\s+/);
    entries.push({
      path: record.slice(tab + 1),
      mode,
      type: type as TreeEntry['type'],
      sha: objectSha,
      size: size === '-' ? 0 : Number.parseInt(size, 10),
    });
  }
  return entries;
}

/**
 * Lists every file at `ref` under `dir` (recursively, relative to `dir`), with sizes, without touching
 * the working tree.
 */
export async function listFilesAtRef(dir: string, ref: string): Promise<TreeEntry[]> {
  const sha = await resolveRef(dir, ref);
  // `--full-tree` off + cwd = dir: paths come relative to dir, restricted to it.
  const out = await runGit(dir, ['ls-tree', '-r', '-l', '-z', sha, '--', '.']);
  return parseLsTree(out);
}

/** Reads one file at `ref` (path relative to `dir`). Throws `E_GIT_NO_FILE` when it does not exist. */
export async function readFileAtRef(dir: string, ref: string, path: string): Promise<Buffer> {
  const sha = await resolveRef(dir, ref);
  const prefix = (await runGit(dir, ['rev-parse', '--show-prefix'])).toString('utf8').trim();
  try {
    return await runGit(dir, ['cat-file', 'blob', `${sha}:${prefix}${path}`]);
  } catch (error) {
    if (error instanceof GitError) throw new GitError('E_GIT_NO_FILE', `no file '${path}' at ${ref}`, error.stderr);
    throw error;
  }
}

/**
 * Reads many blobs in one `git cat-file --batch` process. Returns sha → bytes; a missing object maps
 * to nothing. One process for thousands of files keeps history checks fast.
 */
export async function readBlobs(dir: string, shas: readonly string[]): Promise<Map<string, Buffer>> {
  const result = new Map<string, Buffer>();
  if (shas.length === 0) return result;
  const unique = [...new Set(shas)];
  const out = await runGit(dir, ['cat-file', '--batch'], { input: `${unique.join('\n')}\n` });
  let offset = 0;
  while (offset < out.length) {
    const newline = out.indexOf(0x0a, offset);
    if (newline < 0) break;
    const header = out.subarray(offset, newline).toString('utf8');
    offset = newline + 1;
    const [objectSha = '', type = '', size = ''] = header.split(' ');
    if (type === 'missing' || size === '') continue;
    const length = Number.parseInt(size, 10);
    result.set(objectSha, out.subarray(offset, offset + length));
    offset += length + 1; // content is followed by a newline
  }
  return result;
}

/**
 * The entries of one directory of `commit`'s tree (not recursive), `path` relative to `dir` (''
 * for `dir` itself). Addressed as `<commit>:<path>`, so no pathspec matching applies to the name.
 * Returns undefined when the directory does not exist at that commit.
 */
export async function listDirAtRef(dir: string, commit: string, path: string): Promise<TreeEntry[] | undefined> {
  const prefix = (await runGit(dir, ['rev-parse', '--show-prefix'])).toString('utf8').trim();
  let out: Buffer;
  try {
    // --full-tree: from a subdirectory, ls-tree would otherwise filter the listing by its prefix.
    out = await runGit(dir, ['ls-tree', '--full-tree', '-l', '-z', `${commit}:${prefix}${path}`]);
  } catch (error) {
    if (error instanceof GitError && error.code === 'E_GIT_FAILED') return undefined;
    throw error;
  }
  return parseLsTree(out);
}
