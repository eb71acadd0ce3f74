/**
 * The last-known-good cache: the manifest and payload bytes of the bundle being served, exactly as
 * verified, so a restart can serve without the network. Layout per environment:
 * `<cacheDir>/<env>/payload/<sha256>.json` then `<cacheDir>/<env>/manifest.json`, each written to a
 * temp file, fsynced and renamed, payload first and manifest last, so a crash at any point leaves
 * a manifest whose payload is present. The cache is a convenience, not trusted: it is fully
 * re-verified at cold start.
 *
 * `<cacheDir>/<env>/state.json` records the highest serial this process line ever accepted (and its
 * payload hash), written last. It is the rollback floor across restarts: it survives a damaged
 * manifest or payload, and it can only make the client stricter (it is a floor, never a reason to
 * serve anything).
 */
import { access, mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isSha256Hex } from '../bundle/sha256.ts';
import { readCapped } from './read-capped.ts';
import type { Failure } from './codes.ts';
import { ClientCode } from './codes.ts';

async function writeAtomic(dir: string, name: string, bytes: Uint8Array): Promise<void> {
  const tmp = join(dir, `.${name}.${process.pid}.${Date.now()}.tmp`);
  const handle = await open(tmp, 'w', 0o644);
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, join(dir, name));
}

async function syncDir(dir: string): Promise<void> {
  // Directory fsync makes the rename durable; not supported everywhere (e.g. Windows), so best effort.
  try {
    const h = await open(dir, 'r');
    try {
      await h.sync();
    } finally {
      await h.close();
    }
  } catch {
    /* best effort */
  }
}

export async function writeCache(
  cacheDir: string,
  env: string,
  manifest: Uint8Array,
  payload: Uint8Array,
  payloadSha256: string,
  serial: number,
): Promise<{ ok: true } | Failure> {
  try {
    const envDir = join(cacheDir, env);
    const payloadDir = join(envDir, 'payload');
    await mkdir(payloadDir, { recursive: true });
    const payloadName = `${payloadSha256}.json`;
    await writeAtomic(payloadDir, payloadName, payload);
    await syncDir(payloadDir);
    await writeAtomic(envDir, 'manifest.json', manifest);
    await writeAtomic(envDir, 'state.json', encodeState({ highestSerial: serial, payloadSha256 }));
    await syncDir(envDir);
    // Older payloads are unreachable once the manifest names the new one.
    for (const name of await readdir(payloadDir)) {
      if (name !== payloadName) await rm(join(payloadDir, name), { force: true });
    }
    return { ok: true };
  } catch (e) {
    return { ok: false, code: ClientCode.CACHE_WRITE, message: e instanceof Error ? e.message : String(e) };
  }
}

export function cacheManifestPath(cacheDir: string, env: string): string {
  return join(cacheDir, env, 'manifest.json');
}

export function cachePayloadPath(cacheDir: string, env: string, sha256: string): string {
  return join(cacheDir, env, 'payload', `${sha256}.json`);
}

export async function readCacheFile(path: string, maxBytes: number): Promise<{ ok: true; body: Buffer } | Failure> {
  const r = await readCapped(path, maxBytes);
  return r.ok ? r : { ok: false, code: ClientCode.CACHE_INVALID, message: `cache: ${r.message}` };
}

/** The persisted rollback floor: the highest serial accepted for this environment. */
export interface CacheState {
  highestSerial: number;
  payloadSha256: string;
}

function encodeState(state: CacheState): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ highestSerial: state.highestSerial, payloadSha256: state.payloadSha256 }) + '\n');
}

export function cacheStatePath(cacheDir: string, env: string): string {
  return join(cacheDir, env, 'state.json');
}

/**
 * Reads `state.json`. A missing file is `state: null` (first run, or a cache from before the file
 * existed); an unreadable or malformed one is a failure the caller reports (never a crash).
 */
export async function readCacheState(cacheDir: string, env: string): Promise<{ ok: true; state: CacheState | null } | Failure> {
  const path = cacheStatePath(cacheDir, env);
  try {
    await access(path);
  } catch {
    return { ok: true, state: null };
  }
  const r = await readCapped(path, 4096);
  if (!r.ok) return { ok: false, code: ClientCode.CACHE_INVALID, message: `cache state: ${r.message}` };
  let doc: unknown;
  try {
    doc = JSON.parse(r.body.toString('utf8'));
  } catch (e) {
    return { ok: false, code: ClientCode.CACHE_INVALID, message: `cache state is not JSON: ${e instanceof Error ? e.message : String(e)}` };
  }
  const o = doc as Partial<CacheState> | null;
  if (typeof o !== 'object' || o === null || !Number.isSafeInteger(o.highestSerial) || (o.highestSerial as number) < 1 || !isSha256Hex(o.payloadSha256)) {
    return { ok: false, code: ClientCode.CACHE_INVALID, message: 'cache state must be {"highestSerial": <positive integer>, "payloadSha256": <hex>}' };
  }
  return { ok: true, state: { highestSerial: o.highestSerial as number, payloadSha256: o.payloadSha256 } };
}
