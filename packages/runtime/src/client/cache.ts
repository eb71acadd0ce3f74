/**
 * The last-known-good cache: the manifest and payload bytes of the bundle being served, exactly as
 * verified, so a restart can serve without the network. Layout per environment:
 * `<cacheDir>/<env>/payload/<sha256>.json` then `<cacheDir>/<env>/manifest.json`, each written to a
 * temp file, fsynced and renamed, payload first and manifest last, so a crash at any point leaves
 * a manifest whose payload is present. The cache is a convenience, not trusted: it is fully
 * re-verified at cold start.
 */
import { mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
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
): Promise<{ ok: true } | Failure> {
  try {
    const envDir = join(cacheDir, env);
    const payloadDir = join(envDir, 'payload');
    await mkdir(payloadDir, { recursive: true });
    const payloadName = `${payloadSha256}.json`;
    await writeAtomic(payloadDir, payloadName, payload);
    await syncDir(payloadDir);
    await writeAtomic(envDir, 'manifest.json', manifest);
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
