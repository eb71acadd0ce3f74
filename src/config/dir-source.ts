import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  openSync,
  readdirSync,
  readSync,
  realpathSync,
  statSync,
  type Dirent,
} from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { Diagnostic } from './diagnostics.ts';
import type { FileSource, ReadOptions, SourceFile } from './file-source.ts';
import { CONFIG_ROOTS, capFor, classifyPath } from './layout.ts';
import { LIMITS } from './limits.ts';
import { makeDiagnostic } from './make-diagnostic.ts';
import { WorkingTreeReader, type RepoReader } from './repo-reader.ts';

const toPosix = (path: string): string => (sep === '/' ? path : path.split(sep).join('/'));

/** Opening a FIFO swapped in for a file must not block: with O_NONBLOCK it reads as empty instead. */
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/** Scratch buffer size: every YAML resource fits in one read; larger files grow past it. */
const MAX_SCRATCH = 1024 * 1024;

type Found = { path: string; absolute: string };

/**
 * Reads the config files of a directory on disk (the working tree). The I/O is synchronous on
 * purpose: thousands of small files read through the promise API cost ~10× the CPU (a thread-pool
 * round trip and a promise per call), and the loader has nothing else to do meanwhile. Directory
 * entries' types come from `readdir` (no `lstat` per file), and each file is one open + read + close,
 * reading at most cap + 1 bytes however large the file is.
 */
export class DirectorySource implements FileSource {
  readonly root: string;
  readonly label = 'working tree';
  readonly limits: typeof LIMITS;

  constructor(root: string, limits: typeof LIMITS = LIMITS) {
    this.root = root;
    this.limits = limits;
  }

  reader(): RepoReader {
    return new WorkingTreeReader(this.root);
  }

  async readAll(options: ReadOptions = {}): Promise<SourceFile[]> {
    const realRoot = realpathSync(this.root);
    const found: Found[] = [];
    const problems: SourceFile[] = [];
    for (const top of CONFIG_ROOTS) {
      let info;
      try {
        info = lstatSync(join(realRoot, top));
      } catch {
        continue; // absent top-level entries are fine (a missing switchyard.yaml is reported later)
      }
      this.visit(realRoot, top, info, found, problems);
    }
    if (found.length > this.limits.maxFiles) {
      return [
        {
          path: '.',
          problem: makeDiagnostic(
            'E_TOO_MANY_FILES',
            '.',
            `${found.length} config files (limit ${this.limits.maxFiles}).`,
          ),
        },
      ];
    }
    options.onListed?.(found.length);
    const scratch = Buffer.allocUnsafe(Math.min(MAX_SCRATCH, this.limits.maxYamlBytes + 1));
    const results = found.map((entry) => this.readOne(entry.path, entry.absolute, scratch));
    return [...results, ...problems].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /** One directory entry, typed by `lstat` (top level) or by its `readdir` dirent (below). */
  private visit(
    realRoot: string,
    path: string,
    entry: Pick<Dirent, 'isSymbolicLink' | 'isDirectory' | 'isFile'>,
    found: Found[],
    problems: SourceFile[],
  ): void {
    const absolute = join(realRoot, path);
    if (entry.isSymbolicLink()) {
      const problem = this.followLink(realRoot, path, absolute, found);
      if (problem) problems.push({ path, problem });
      return;
    }
    if (entry.isDirectory()) {
      const entries = readdirSync(absolute, { withFileTypes: true });
      for (const child of entries) this.visit(realRoot, `${path}/${child.name}`, child, found, problems);
      return;
    }
    if (entry.isFile() && classifyPath(path) !== 'ignored') found.push({ path: toPosix(path), absolute });
  }

  /** Follows a symlink only to a regular file inside the repository. */
  private followLink(realRoot: string, path: string, absolute: string, found: Found[]): Diagnostic | undefined {
    let target;
    try {
      target = realpathSync(absolute);
    } catch {
      return makeDiagnostic('E_SYMLINK_UNSUPPORTED', path, `${path} is a broken symbolic link.`);
    }
    const rel = relative(realRoot, target);
    if (rel.startsWith('..') || rel === '' || /^[a-zA-Z]:|^\//.test(rel)) {
      return makeDiagnostic('E_SYMLINK_ESCAPE', path, `${path} links to ${target}, outside the repository.`);
    }
    if (!statSync(target).isFile()) {
      return makeDiagnostic(
        'E_SYMLINK_UNSUPPORTED',
        path,
        `${path} links to a directory; links are only followed to files.`,
      );
    }
    if (classifyPath(path) !== 'ignored') found.push({ path, absolute: target });
    return undefined;
  }

  private readOne(path: string, absolute: string, scratch: Buffer): SourceFile {
    const cap = capFor(path, this.limits);
    let fd: number | undefined;
    try {
      fd = openSync(absolute, OPEN_FLAGS);
      const bytes = readAtMost(fd, cap + 1, scratch);
      if (bytes.length > cap) {
        const size = fstatSync(fd).size;
        return {
          path,
          problem: makeDiagnostic(
            'E_FILE_TOO_LARGE',
            path,
            `${path} is ${Math.max(size, bytes.length)} bytes; the limit for this kind of file is ${cap}.`,
          ),
        };
      }
      return { path, bytes };
    } catch (error) {
      return {
        path,
        problem: makeDiagnostic('E_READ_FAILED', path, `${path} could not be read: ${(error as Error).message}`),
      };
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }
}

/**
 * Reads up to `limit` bytes (stopping early at end of file) into a buffer of its own. Starts in
 * `scratch`, so a small file costs one read and one exact-size copy; grows only for large files.
 */
function readAtMost(fd: number, limit: number, scratch: Buffer): Buffer {
  let buffer = scratch.length > limit ? scratch.subarray(0, limit) : scratch;
  let inScratch = true;
  let length = 0;
  for (;;) {
    if (length === buffer.length) {
      if (length >= limit) break;
      const bigger = Buffer.allocUnsafe(Math.min(limit, buffer.length * 2));
      buffer.copy(bigger, 0, 0, length);
      buffer = bigger;
      inScratch = false;
    }
    const read = readSync(fd, buffer, length, buffer.length - length, null);
    if (read === 0) break;
    length += read;
  }
  return inScratch ? Buffer.from(buffer.subarray(0, length)) : buffer.subarray(0, length);
}
