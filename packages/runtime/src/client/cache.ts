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
import { MAX_SERIAL } from '../bundle/manifest.ts';
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
  state: CacheState,
): Promise<{ ok: true } | Failure> {
  const payloadSha256 = state.payloadSha256 as string;
  try {
    const envDir = join(cacheDir, env);
    const payloadDir = join(envDir, 'payload');
    await mkdir(payloadDir, { recursive: true });
    const payloadName = `${payloadSha256}.json`;
    await writeFileAtomic(join(payloadDir, payloadName), payload);
    await syncDir(payloadDir);
    await writeFileAtomic(join(envDir, 'manifest.json'), manifest);
    await writeFileAtomic(join(envDir, 'state.json'), encodeState(state));
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

/**
 * The persisted rollback floor: the highest serial accepted for this environment (and its payload;
 * null right after a root-signed floor reset lowered it), plus, with a trust root, the keys-document
 * version trusted and the last floor reset applied (each reset is applied once).
 */
export interface CacheState {
  highestSerial: number;
  payloadSha256: string | null;
  keysVersion?: number;
  resetVersion?: number;
}

function encodeState(state: CacheState): Uint8Array {
  const doc: CacheState = { highestSerial: state.highestSerial, payloadSha256: state.payloadSha256 };
  if (state.keysVersion !== undefined) doc.keysVersion = state.keysVersion;
  if (state.resetVersion !== undefined) doc.resetVersion = state.resetVersion;
  return new TextEncoder().encode(JSON.stringify(doc) + '\n');
}

/** Writes state.json alone (after a keys update or a floor reset). */
export async function writeCacheState(
  cacheDir: string,
  env: string,
  state: CacheState,
): Promise<{ ok: true } | Failure> {
  try {
    const envDir = join(cacheDir, env);
    await mkdir(envDir, { recursive: true });
    await writeFileAtomic(join(envDir, 'state.json'), encodeState(state));
    await syncDir(envDir);
    return { ok: true };
  } catch (e) {
    return { ok: false, code: ClientCode.CACHE_WRITE, message: e instanceof Error ? e.message : String(e) };
  }
}

/** Where the last trusted keys document is kept (re-verified against the root at cold start). */
export function cacheKeysPath(cacheDir: string, env: string): string {
  return join(cacheDir, env, 'keys.json');
}

/**
 * Replaces one file of the environment's cache (atomic): the keys document, or the manifest of the
 * bundle already cached when it was re-signed (same payload, so the payload file is already there).
 */
export async function writeCacheFile(
  cacheDir: string,
  env: string,
  name: 'keys.json' | 'manifest.json',
  bytes: Uint8Array,
): Promise<{ ok: true } | Failure> {
  try {
    await mkdir(join(cacheDir, env), { recursive: true });
    await writeFileAtomic(join(cacheDir, env, name), bytes);
    return { ok: true };
  } catch (e) {
    return { ok: false, code: ClientCode.CACHE_WRITE, message: e instanceof Error ? e.message : String(e) };
  }
}

/** Removes the cached manifest (a floor reset: the runaway bundle must not re-raise the floor at restart). */
export async function dropCachedManifest(cacheDir: string, env: string): Promise<void> {
  await rm(cacheManifestPath(cacheDir, env), { force: true }).catch(() => undefined);
}

export function cacheStatePath(cacheDir: string, env: string): string {
  return join(cacheDir, env, 'state.json');
}

/**
 * Reads `state.json`. A missing file is `state: null` (first run, or a cache from before the file
 * existed); an unreadable or malformed one is a failure the caller reports (never a crash).
 */
export async function readCacheState(
  cacheDir: string,
  env: string,
): Promise<{ ok: true; state: CacheState | null } | Failure> {
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
    return {
      ok: false,
      code: ClientCode.CACHE_INVALID,
      message: `cache state is not JSON: ${e instanceof Error ? e.message : String(e)}`,
    };
  }
  const o = doc as Partial<CacheState> | null;
  const count = (v: unknown, min: number): boolean =>
    Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= MAX_SERIAL;
  if (
    typeof o !== 'object' ||
    o === null ||
    !count(o.highestSerial, 0) ||
    (o.payloadSha256 !== null && !isSha256Hex(o.payloadSha256)) ||
    (o.keysVersion !== undefined && !count(o.keysVersion, 1)) ||
    (o.resetVersion !== undefined && !count(o.resetVersion, 1))
  ) {
    return {
      ok: false,
      code: ClientCode.CACHE_INVALID,
      message: `cache state must be {"highestSerial": <integer 0..${MAX_SERIAL}>, "payloadSha256": <hex> | null, "keysVersion"?, "resetVersion"?}`,
    };
  }
  const state: CacheState = { highestSerial: o.highestSerial as number, payloadSha256: o.payloadSha256 ?? null };
  if (o.keysVersion !== undefined) state.keysVersion = o.keysVersion;
  if (o.resetVersion !== undefined) state.resetVersion = o.resetVersion;
  return { ok: true, state };
}
