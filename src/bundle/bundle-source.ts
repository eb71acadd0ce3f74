/**
 * Where `switchyard verify` reads a bundle from: a directory (a publish target or a `dist/` output)
 * or an HTTP(S) base URL. Both go through the runtime's own read paths (`httpGet`, `readCapped`):
 * the same byte caps counted as read, the same deadline for the whole exchange, no redirects, no
 * compressed bodies, no FIFOs or devices — so verify passes exactly what a runtime would fetch,
 * and every refusal is a stable code rather than an exception.
 */

import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { httpGet, readCapped } from './runtime-format.ts';

export type ReadResult =
  { ok: true; bytes: Uint8Array; from: string } | { ok: false; code: string; message: string; tooLarge: boolean };

export interface BundleSource {
  /** Human-readable location of the environment directory. */
  describe(): string;
  manifest(maxBytes: number): Promise<ReadResult>;
  payload(sha256: string, maxBytes: number): Promise<ReadResult>;
}

/** Deadline for one read (connect + headers + body), as the runtime's `requestTimeoutMs`. */
export const DEFAULT_READ_TIMEOUT_MS = 10_000;

async function fetchCapped(url: string, maxBytes: number, timeoutMs: number): Promise<ReadResult> {
  const r = await httpGet(new URL(url), { maxBytes, timeoutMs });
  if (!r.ok) return { ok: false, code: r.code, message: r.message, tooLarge: r.code === 'E_FETCH_TOO_LARGE' };
  // Unconditional request: a 304 here is a broken server, not "unchanged".
  if (r.status !== 200)
    return {
      ok: false,
      code: 'E_FETCH_STATUS',
      message: `${url}: HTTP ${r.status} to an unconditional GET`,
      tooLarge: false,
    };
  return { ok: true, bytes: r.body, from: url };
}

async function readFileCapped(path: string, maxBytes: number, timeoutMs: number): Promise<ReadResult> {
  const r = await readCapped(path, maxBytes, { timeoutMs });
  if (!r.ok) return { ok: false, code: r.code, message: r.message, tooLarge: r.code === 'E_FETCH_TOO_LARGE' };
  return { ok: true, bytes: r.body, from: path };
}

/**
 * A bundle source for `location`: an http(s) URL (`<url>/<env>/manifest.json`, or the manifest URL
 * itself) or a directory (`<dir>/<env>/manifest.json`, or `<dir>/manifest.json` when the directory
 * is already the environment's).
 */
export async function bundleSource(
  location: string,
  env: string,
  timeoutMs = DEFAULT_READ_TIMEOUT_MS,
): Promise<BundleSource> {
  if (/^https?:\/\//i.test(location)) {
    const base = location.endsWith('/manifest.json')
      ? location.slice(0, -'manifest.json'.length)
      : `${location.replace(/\/+$/, '')}/${encodeURIComponent(env)}/`;
    return {
      describe: () => base,
      manifest: (max) => fetchCapped(`${base}manifest.json`, max, timeoutMs),
      payload: (sha, max) => fetchCapped(`${base}payload/${sha}.json`, max, timeoutMs),
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
    manifest: (max) => readFileCapped(join(dir, 'manifest.json'), max, timeoutMs),
    payload: (sha, max) => readFileCapped(join(dir, 'payload', `${sha}.json`), max, timeoutMs),
  };
}
