/**
 * Where `switchyard verify` reads a bundle from: a directory (a publish target or a `dist/` output)
 * or an HTTP(S) base URL. Reads are size-capped so a hostile server cannot exhaust memory.
 */

import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

export type ReadResult = { ok: true; bytes: Uint8Array; from: string } | { ok: false; message: string };

export interface BundleSource {
  /** Human-readable location of the environment directory. */
  describe(): string;
  manifest(maxBytes: number): Promise<ReadResult>;
  payload(sha256: string, maxBytes: number): Promise<ReadResult>;
}

async function readCapped(url: string, maxBytes: number): Promise<ReadResult> {
  let response: Response;
  try {
    response = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(30_000) });
  } catch (error) {
    return { ok: false, message: `cannot fetch ${url}: ${(error as Error).message}` };
  }
  if (!response.ok) {
    await response.body?.cancel();
    return { ok: false, message: `GET ${url} answered ${response.status}` };
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of response.body ?? []) {
    total += (chunk as Uint8Array).byteLength;
    // Read one byte past the cap so the verifier sees "too large" rather than a truncated body.
    if (total > maxBytes + 1) {
      await response.body?.cancel();
      break;
    }
    chunks.push(chunk as Uint8Array);
  }
  return { ok: true, bytes: Buffer.concat(chunks), from: url };
}

async function readFileCapped(path: string, maxBytes: number): Promise<ReadResult> {
  try {
    const info = await stat(path);
    if (info.size > maxBytes) {
      // Enough to prove the size without reading it all.
      return { ok: true, bytes: new Uint8Array(maxBytes + 1), from: path };
    }
    return { ok: true, bytes: await readFile(path), from: path };
  } catch (error) {
    return { ok: false, message: `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` };
  }
}

/**
 * A bundle source for `location`: an http(s) URL (`<url>/<env>/manifest.json`, or the manifest URL
 * itself) or a directory (`<dir>/<env>/manifest.json`, or `<dir>/manifest.json` when the directory
 * is already the environment's).
 */
export async function bundleSource(location: string, env: string): Promise<BundleSource> {
  if (/^https?:\/\//i.test(location)) {
    const base = location.endsWith('/manifest.json')
      ? location.slice(0, -'manifest.json'.length)
      : `${location.replace(/\/+$/, '')}/${encodeURIComponent(env)}/`;
    return {
      describe: () => base,
      manifest: (max) => readCapped(`${base}manifest.json`, max),
      payload: (sha, max) => readCapped(`${base}payload/${sha}.json`, max),
    };
  }
  let dir = join(location, env);
  try {
    if ((await stat(join(location, 'manifest.json'))).isFile()) dir = location;
  } catch {
    // Not an environment directory itself: use <location>/<env>.
  }
  return {
    describe: () => dir,
    manifest: (max) => readFileCapped(join(dir, 'manifest.json'), max),
    payload: (sha, max) => readFileCapped(join(dir, 'payload', `${sha}.json`), max),
  };
}
