/**
 * Reads a local file for directory sources, the disk cache and `switchyard verify`, so that no file
 * can hold or exhaust the reader. Never throws; resolves exactly once.
 *
 * - opened with O_NONBLOCK: opening a FIFO does not wait for a writer;
 * - with `noFollow` (the cache, which this client writes itself and never as a symlink) opened with
 *   O_NOFOLLOW, so a symlink planted as the file is refused; directory sources may be symlinks
 *   (Kubernetes ConfigMap volumes are), but whatever they name must be a regular file;
 * - anything but a regular file (FIFO, `/dev/zero`, a socket, a directory) is refused after `fstat`
 *   on the open handle, so a swap between check and read cannot slip one in;
 * - the cap counts bytes actually read, never `stat().size` (a file can grow, a device reports 0):
 *   at most `maxBytes + 1` bytes are ever read;
 * - the whole read has a deadline (a hung network file system must not hold a refresh forever).
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { ClientCode } from './codes.ts';
import type { Failure } from './codes.ts';

export interface ReadCappedOptions {
  /** Refuse a symlink as the file itself (O_NOFOLLOW). Default false. */
  noFollow?: boolean;
  /** Deadline for open + read, ms. Default 10 s. */
  timeoutMs?: number;
}

const CHUNK = 64 * 1024;

export async function readCapped(
  path: string,
  maxBytes: number,
  options: ReadCappedOptions = {},
): Promise<{ ok: true; body: Buffer } | Failure> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let timedOut = false;
  const deadline = new Promise<Failure>((resolve) => {
    timer = setTimeout(() => {
      timedOut = true;
      resolve({ ok: false, code: ClientCode.SOURCE_TIMEOUT, message: `${path}: not read within ${timeoutMs} ms` });
    }, timeoutMs);
  });
  try {
    return await Promise.race([read(path, maxBytes, options.noFollow === true, () => timedOut), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

async function read(
  path: string,
  maxBytes: number,
  noFollow: boolean,
  abandoned: () => boolean,
): Promise<{ ok: true; body: Buffer } | Failure> {
  let handle: FileHandle | undefined;
  try {
    const flags = constants.O_RDONLY | constants.O_NONBLOCK | (noFollow ? constants.O_NOFOLLOW : 0);
    handle = await open(path, flags);
    const info = await handle.stat();
    if (!info.isFile()) {
      const kind = info.isFIFO()
        ? 'a FIFO'
        : info.isCharacterDevice() || info.isBlockDevice()
          ? 'a device'
          : info.isDirectory()
            ? 'a directory'
            : info.isSocket()
              ? 'a socket'
              : 'not a regular file';
      return {
        ok: false,
        code: ClientCode.SOURCE_NOT_FILE,
        message: `${path} is ${kind}, not a regular file (refused)`,
      };
    }
    const chunks: Buffer[] = [];
    let total = 0;
    // One byte past the cap proves "too large" without reading the rest.
    while (total <= maxBytes && !abandoned()) {
      const buffer = Buffer.allocUnsafe(Math.min(CHUNK, maxBytes + 1 - total));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, total);
      if (bytesRead === 0) break;
      chunks.push(buffer.subarray(0, bytesRead));
      total += bytesRead;
    }
    if (total > maxBytes)
      return {
        ok: false,
        code: ClientCode.FETCH_TOO_LARGE,
        message: `${path} is larger than the cap of ${maxBytes} bytes`,
      };
    return { ok: true, body: Buffer.concat(chunks, total) };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (noFollow && err.code === 'ELOOP')
      return {
        ok: false,
        code: ClientCode.SOURCE_NOT_FILE,
        message: `${path} is a symlink (refused: this file is never written as one)`,
      };
    return { ok: false, code: ClientCode.SOURCE_READ, message: err instanceof Error ? err.message : String(e) };
  } finally {
    await handle?.close().catch(() => undefined);
  }
}
