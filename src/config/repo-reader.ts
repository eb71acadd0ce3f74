/**
 * Reading the files `file://` references name (test lists, vars, assertion values), from the side of
 * a change they belong to: the working tree for the head, the tree of a commit for the base (so a
 * pull request that edits a referenced file compares the base's file with the head's — see
 * docs/evaluation.md). Both readers refuse absolute paths and paths leaving the repository,
 * following symbolic links on the real path (working tree) or through the commit's tree (git).
 */
import { readFile, realpath, stat } from 'node:fs/promises';
import { join, posix, sep } from 'node:path';
import { problem, type Result } from '../errors/index.ts';
import { listDirAtRef, readBlobs, resolveRef, type TreeEntry } from '../git/index.ts';
import { FILE_PREFIX, fileRefProblem } from './file-refs.ts';
import { LIMITS } from './limits.ts';

/** A referenced file's text, or why it cannot be used (`E_FILE_REF_OUTSIDE`, `E_FILE_REF_UNREADABLE`). */
export type RepoRead = Result<{ text: string }>;

/** Reads repository-relative files from one side of a change. */
export interface RepoReader {
  /** For messages: `working tree` or `git <ref>`. */
  readonly label: string;
  /** Reads `path` (repository-relative, forward slashes); never throws. */
  read(path: string): Promise<RepoRead>;
}

/** Largest referenced file read (a test list can be as large as a dataset, never larger). */
export const MAX_REFERENCED_BYTES = LIMITS.maxDatasetBytes;

const outside = (path: string, why = 'points outside the repository') =>
  problem(
    'E_FILE_REF_OUTSIDE',
    `${FILE_PREFIX}${path}: ${why}`,
    'Refer to files inside the repository, relative to its root.',
  );
const unreadable = (path: string, why: string, where: string) =>
  problem('E_FILE_REF_UNREADABLE', `${FILE_PREFIX}${path}: ${why} (${where})`);

/** The syntactic check every reader starts with (absolute paths, `..` escapes). */
function syntaxProblem(path: string): RepoRead | undefined {
  const why = fileRefProblem(`${FILE_PREFIX}${path}`);
  return why === undefined ? undefined : problem('E_FILE_REF_OUTSIDE', why);
}

/** The working tree under `root`; the real path (symbolic links resolved) must stay under the real root. */
export class WorkingTreeReader implements RepoReader {
  readonly label = 'working tree';
  readonly root: string;
  constructor(root: string) {
    this.root = root;
  }

  async read(path: string): Promise<RepoRead> {
    const refused = syntaxProblem(path);
    if (refused) return refused;
    try {
      const realRoot = await realpath(this.root);
      const real = await realpath(join(this.root, path));
      if (real !== realRoot && !real.startsWith(realRoot + sep))
        return outside(path, `links to ${real}, outside the repository`);
      const info = await stat(real);
      if (!info.isFile()) return unreadable(path, 'not a regular file', this.label);
      if (info.size > MAX_REFERENCED_BYTES)
        return unreadable(path, `${info.size} bytes; the limit is ${MAX_REFERENCED_BYTES}`, this.label);
      return { ok: true, text: await readFile(real, 'utf8') };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      return unreadable(path, code === 'ENOENT' ? 'no such file' : (error as Error).message, this.label);
    }
  }
}

/** How `resolveInTree` looks at a tree: a directory's entries, and a symbolic link's target. */
export interface TreeLookup {
  /** Entries of a directory (repository-relative, '' for the root); undefined when it is not one. */
  list(dir: string): Promise<readonly TreeEntry[] | undefined>;
  /** Target text of a symbolic link blob. */
  linkTarget(entry: TreeEntry): Promise<string>;
}

/** Symbolic links followed for one path before giving up (a loop, or a chain no one needs). */
const MAX_LINK_HOPS = 16;

/**
 * Walks `path` through a tree component by component, following symbolic links (in directories and
 * in the last component) the way the file system would, and refusing any step above the root.
 * Returns the blob entry the path names.
 */
export async function resolveInTree(
  path: string,
  lookup: TreeLookup,
  where: string,
): Promise<Result<{ entry: TreeEntry }>> {
  const refused = syntaxProblem(path);
  if (refused) return refused as Result<{ entry: TreeEntry }>;
  const pending = path.split('/');
  const resolved: string[] = [];
  let hops = 0;
  let last: TreeEntry | undefined;
  while (pending.length > 0) {
    const name = pending.shift() as string;
    if (name === '' || name === '.') continue;
    if (name === '..') {
      if (resolved.length === 0) return outside(path, 'a symbolic link leads outside the repository');
      resolved.pop();
      last = undefined;
      continue;
    }
    const entries = await lookup.list(resolved.join('/'));
    const entry = entries?.find((e) => e.path === name);
    if (!entry) return unreadable(path, 'no such file', where);
    if (entry.mode === '120000') {
      if (++hops > MAX_LINK_HOPS) return unreadable(path, 'too many symbolic links', where);
      const target = await lookup.linkTarget(entry);
      if (posix.isAbsolute(target) || /^[A-Za-z]:/.test(target))
        return outside(path, `a symbolic link leads to ${target}, outside the repository`);
      pending.unshift(...target.split('/'));
      continue;
    }
    if (pending.some((p) => p !== '' && p !== '.') && entry.type !== 'tree')
      return unreadable(path, 'no such file', where);
    resolved.push(name);
    last = entry;
  }
  if (!last || last.type !== 'blob') return unreadable(path, 'not a regular file', where);
  return { ok: true, entry: last };
}

/** The tree of a commit under `root` (which may be a subdirectory of the git work tree). */
export class GitTreeReader implements RepoReader {
  readonly label: string;
  private commit: Promise<string> | undefined;
  private readonly dirs = new Map<string, Promise<readonly TreeEntry[] | undefined>>();

  readonly root: string;
  readonly ref: string;

  constructor(root: string, ref: string) {
    this.root = root;
    this.ref = ref;
    this.label = `git ${ref}`;
  }

  async read(path: string): Promise<RepoRead> {
    try {
      this.commit ??= resolveRef(this.root, this.ref);
      const commit = await this.commit;
      const lookup: TreeLookup = {
        list: (dir) => {
          let listed = this.dirs.get(dir);
          if (!listed) this.dirs.set(dir, (listed = listDirAtRef(this.root, commit, dir)));
          return listed;
        },
        linkTarget: async (entry) => (await readBlobs(this.root, [entry.sha])).get(entry.sha)?.toString('utf8') ?? '',
      };
      const found = await resolveInTree(path, lookup, this.label);
      if (!found.ok) return found;
      if (found.entry.size > MAX_REFERENCED_BYTES)
        return unreadable(path, `${found.entry.size} bytes; the limit is ${MAX_REFERENCED_BYTES}`, this.label);
      const bytes = (await readBlobs(this.root, [found.entry.sha])).get(found.entry.sha);
      if (!bytes) return unreadable(path, 'missing from the object database', this.label);
      return { ok: true, text: bytes.toString('utf8') };
    } catch (error) {
      return unreadable(path, (error as Error).message, this.label);
    }
  }
}

/** Where a project's referenced files are read: its commit's tree when it was loaded from one. */
export function readerFor(project: { root: string; commit?: string | undefined }): RepoReader {
  return project.commit === undefined
    ? new WorkingTreeReader(project.root)
    : new GitTreeReader(project.root, project.commit);
}
