import { lstat, readdir, readFile, realpath, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { FileSource, SourceFile } from './file-source.ts';
import { CONFIG_ROOTS, capFor, classifyPath } from './layout.ts';
import { LIMITS } from './limits.ts';
import { makeDiagnostic } from './make-diagnostic.ts';

const toPosix = (path: string): string => (sep === '/' ? path : path.split(sep).join('/'));

/** Reads the config files of a directory on disk (the working tree). */
export class DirectorySource implements FileSource {
  readonly root: string;
  readonly label = 'working tree';
  readonly limits: typeof LIMITS;

  constructor(root: string, limits: typeof LIMITS = LIMITS) {
    this.root = root;
    this.limits = limits;
  }

  async readAll(): Promise<SourceFile[]> {
    const realRoot = await realpath(this.root);
    const found: Array<{ path: string; absolute: string }> = [];
    const problems: SourceFile[] = [];
    for (const top of CONFIG_ROOTS) {
      await this.walk(realRoot, top, found, problems);
    }
    if (found.length > this.limits.maxFiles) {
      return [{ path: '.', problem: makeDiagnostic('E_TOO_MANY_FILES', '.', `${found.length} config files (limit ${this.limits.maxFiles}).`) }];
    }
    const results = await mapLimit(found, 64, (entry) => this.readOne(entry.path, entry.absolute));
    return [...results, ...problems].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  private async walk(realRoot: string, path: string, found: Array<{ path: string; absolute: string }>, problems: SourceFile[]): Promise<void> {
    const absolute = join(realRoot, path);
    let info;
    try {
      info = await lstat(absolute);
    } catch {
      return; // absent top-level entries are fine (a missing switchyard.yaml is reported later)
    }
    if (info.isSymbolicLink()) {
      const target = await realpath(absolute).catch(() => undefined);
      if (target === undefined) {
        problems.push({ path, problem: makeDiagnostic('E_SYMLINK_UNSUPPORTED', path, `${path} is a broken symbolic link.`) });
        return;
      }
      const rel = relative(realRoot, target);
      if (rel.startsWith('..') || rel === '' || /^[a-zA-Z]:|^\//.test(rel)) {
        problems.push({ path, problem: makeDiagnostic('E_SYMLINK_ESCAPE', path, `${path} links to ${target}, outside the repository.`) });
        return;
      }
      const targetInfo = await stat(target);
      if (!targetInfo.isFile()) {
        problems.push({ path, problem: makeDiagnostic('E_SYMLINK_UNSUPPORTED', path, `${path} links to a directory; links are only followed to files.`) });
        return;
      }
      if (classifyPath(path) !== 'ignored') found.push({ path, absolute: target });
      return;
    }
    if (info.isDirectory()) {
      const names = await readdir(absolute);
      for (const name of names.sort()) await this.walk(realRoot, `${path}/${name}`, found, problems);
      return;
    }
    if (info.isFile() && classifyPath(path) !== 'ignored') found.push({ path: toPosix(path), absolute });
  }

  private async readOne(path: string, absolute: string): Promise<SourceFile> {
    const cap = capFor(path, this.limits);
    try {
      const info = await stat(absolute);
      if (info.size > cap) {
        return { path, problem: makeDiagnostic('E_FILE_TOO_LARGE', path, `${path} is ${info.size} bytes; the limit for this kind of file is ${cap}.`) };
      }
      return { path, bytes: await readFile(absolute) };
    } catch (error) {
      return { path, problem: makeDiagnostic('E_READ_FAILED', path, `${path} could not be read: ${(error as Error).message}`) };
    }
  }
}

/** Runs `fn` over `items` with at most `limit` in flight, keeping order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
