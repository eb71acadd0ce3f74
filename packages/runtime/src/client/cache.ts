/**
 * The last-known-good cache: the manifest and payload bytes of the bundle being served, exactly as
 * verified, so a restart can serve without the network. Layout per environment:
 * `<cacheDir>/<env>/payload/<sha256>.json` then `<cacheDir>/<env>/manifest.json`, each written to a
 * randomly named, exclusively created temp file, fsynced and renamed (`atomic-write.ts`), payload
 * first and manifest last, so a crash at any point leaves a manifest whose payload is present. The cache is a convenience, not trusted: it is fully
 * re-verified at cold start.
 *
 * `<cacheDir>/<env>/state.json` records the highest serial this process line ever accepted (and its
 * payload hash), written last. It is the rollback floor across restarts: it survives a damaged
 * manifest or payload, and it can only make the client stricter (it is a floor, never a reason to
 * serve anything).
 */
import { access, mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isSha256Hex } from '../bundle/sha256.ts';
import { syncDir, writeFileAtomic } from './atomic-write.ts';
import { readCapped } from './read-capped.ts';
import type { Failure } from './codes.ts';
import { ClientCode } from './codes.ts';

/** Payload files this cache writes (temp files and anything else in the directory are left alone). */
const PAYLOAD_FILE = /^[0-9a-f]{64}\.json$/;
/**
 * A superseded payload is removed only once it is this old: another process sharing the cache
 * directory may have just written it and be about to write the manifest naming it.
 */
export const PAYLOAD_GRACE_MS = 60_000;

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
    await writeFileAtomic(join(payloadDir, payloadName), payload);
    await syncDir(payloadDir);
    await writeFileAtomic(join(envDir, 'manifest.json'), manifest);
    await writeFileAtomic(join(envDir, 'state.json'), encodeState({ highestSerial: serial, payloadSha256 }));
    await syncDir(envDir);
    // Older payloads are unreachable once the manifest names the new one. Only completed payload
    // files past the grace period: never another writer's temp file or its fresh payload.
    const cutoff = Date.now() - PAYLOAD_GRACE_MS;
    for (const name of await readdir(payloadDir)) {
      if (name === payloadName || !PAYLOAD_FILE.test(name)) continue;
      const file = join(payloadDir, name);
      const st = await stat(file).catch(() => null);
      if (st !== null && st.mtimeMs < cutoff) await rm(file, { force: true });
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
  // The cache never writes symlinks: one planted there is refused, not followed.
  const r = await readCapped(path, maxBytes, { noFollow: true });
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
  const r = await readCapped(path, 4096, { noFollow: true });
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
