import { posix } from 'node:path';
import { listFilesAtRef, readBlobs, resolveRef, type TreeEntry } from '../git/index.ts';
import type { FileSource, ReadOptions, SourceFile } from './file-source.ts';
import { capFor, classifyPath, isConfigPath } from './layout.ts';
import { LIMITS } from './limits.ts';
import { makeDiagnostic } from './make-diagnostic.ts';
import { GitTreeReader, type RepoReader } from './repo-reader.ts';

/**
 * Reads the config files of a git commit without touching the working tree: one `ls-tree` for the
 * listing and one `cat-file --batch` for the contents.
 */
export class GitRefSource implements FileSource {
  readonly root: string;
  readonly ref: string;
  readonly limits: typeof LIMITS;
  label: string;
  commit: string | undefined;

  constructor(root: string, ref: string, limits: typeof LIMITS = LIMITS) {
    this.root = root;
    this.ref = ref;
    this.limits = limits;
    this.label = `git ${ref}`;
  }

  reader(): RepoReader {
    return new GitTreeReader(this.root, this.commit ?? this.ref);
  }

  async readAll(options: ReadOptions = {}): Promise<SourceFile[]> {
    const sha = await resolveRef(this.root, this.ref);
    this.commit = sha;
    this.label = `git ${this.ref} (${sha.slice(0, 12)})`;
    const entries = (await listFilesAtRef(this.root, sha)).filter((entry) => isConfigPath(entry.path));
    const byPath = new Map(entries.map((entry) => [entry.path, entry]));
    const symlinkShas = entries.filter((entry) => entry.mode === '120000').map((entry) => entry.sha);
    const linkTargets = await readBlobs(this.root, symlinkShas);

    const planned: Array<{ path: string; entry: TreeEntry }> = [];
    const results: SourceFile[] = [];
    for (const entry of entries) {
      if (entry.type !== 'blob' || classifyPath(entry.path) === 'ignored') continue;
      let target = entry;
      if (entry.mode === '120000') {
        const resolved = this.resolveLink(entry, linkTargets, byPath);
        if (!('entry' in resolved)) {
          results.push(resolved.failed);
          continue;
        }
        target = resolved.entry;
      }
      const cap = capFor(entry.path, this.limits);
      if (target.size > cap) {
        results.push({
          path: entry.path,
          problem: makeDiagnostic(
            'E_FILE_TOO_LARGE',
            entry.path,
            `${entry.path} is ${target.size} bytes; the limit for this kind of file is ${cap}.`,
          ),
        });
        continue;
      }
      planned.push({ path: entry.path, entry: target });
    }
    if (planned.length > this.limits.maxFiles) {
      return [
        {
          path: '.',
          problem: makeDiagnostic(
            'E_TOO_MANY_FILES',
            '.',
            `${planned.length} config files (limit ${this.limits.maxFiles}).`,
          ),
        },
      ];
    }
    options.onListed?.(planned.length);
    const blobs = await readBlobs(
      this.root,
      planned.map((item) => item.entry.sha),
    );
    for (const item of planned) {
      const bytes = blobs.get(item.entry.sha);
      results.push(
        bytes
          ? { path: item.path, bytes }
          : {
              path: item.path,
              problem: makeDiagnostic('E_READ_FAILED', item.path, `${item.path} is missing from the object database.`),
            },
      );
    }
    return results.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /** Follows a committed symlink one level, only to a regular file inside the listed tree. */
  private resolveLink(
    entry: TreeEntry,
    targets: Map<string, Buffer>,
    byPath: Map<string, TreeEntry>,
  ): { entry: TreeEntry } | { failed: SourceFile } {
    const text = targets.get(entry.sha)?.toString('utf8') ?? '';
    const joined = posix.normalize(posix.join(posix.dirname(entry.path), text));
    if (posix.isAbsolute(text) || joined.startsWith('../') || joined === '..') {
      return {
        failed: {
          path: entry.path,
          problem: makeDiagnostic(
            'E_SYMLINK_ESCAPE',
            entry.path,
            `${entry.path} links to ${text}, outside the repository.`,
          ),
        },
      };
    }
    const target = byPath.get(joined);
    if (!target || target.type !== 'blob' || target.mode === '120000') {
      return {
        failed: {
          path: entry.path,
          problem: makeDiagnostic(
            'E_SYMLINK_UNSUPPORTED',
            entry.path,
            `${entry.path} links to ${text}, which is not a regular config file in this commit.`,
          ),
        },
      };
    }
    return { entry: target };
  }
}
