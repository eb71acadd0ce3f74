/** Reads a local file with a size cap, for directory sources and the disk cache. Never throws. */
import { open } from 'node:fs/promises';
import { ClientCode } from './codes.ts';
import type { Failure } from './codes.ts';

export async function readCapped(path: string, maxBytes: number): Promise<{ ok: true; body: Buffer } | Failure> {
  let handle;
  try {
    handle = await open(path, 'r');
    const { size } = await handle.stat();
    if (size > maxBytes) return { ok: false, code: ClientCode.FETCH_TOO_LARGE, message: `${path} is ${size} bytes, the cap is ${maxBytes}` };
    return { ok: true, body: await handle.readFile() };
  } catch (e) {
    return { ok: false, code: ClientCode.SOURCE_READ, message: e instanceof Error ? e.message : String(e) };
  } finally {
    await handle?.close().catch(() => undefined);
  }
}
