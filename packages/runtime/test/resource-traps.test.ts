/**
 * Resource traps in local files (issue: a FIFO or a symlink to /dev/zero as manifest.json): a
 * directory source or the disk cache must never hold a refresh, never read without bound, and a
 * cold client whose cache is a trap must go on to the network. Real files, FIFOs and devices.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '../src/index.ts';
import type { SwitchyardClient } from '../src/index.ts';
import { readCapped } from '../src/client/read-capped.ts';
import { generateSigningKey, makeBundle, publishToDir, trusted } from './helpers/bundles.ts';
import { startBundleServer } from './helpers/bundle-server.ts';
import type { BundleServer } from './helpers/bundle-server.ts';

const key = generateSigningKey();
let dir: string;
let server: BundleServer | null = null;
const clients: SwitchyardClient[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'switchyard-traps-'));
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await server?.close().catch(() => undefined);
  server = null;
  await rm(dir, { recursive: true, force: true });
});

function client(source: string, cacheDir: string | null = null): SwitchyardClient {
  const c = createClient({
    source,
    env: 'production',
    trustedKeys: trusted(key),
    cacheDir,
    pollIntervalMs: 0,
    requestTimeoutMs: 5000,
  });
  clients.push(c);
  return c;
}

type Trap = { name: string; plant: (path: string) => Promise<void> };
const TRAPS: Trap[] = [
  { name: 'a FIFO', plant: async (p) => void execFileSync('mkfifo', [p]) },
  { name: 'a symlink to /dev/zero', plant: (p) => symlink('/dev/zero', p) },
  { name: 'a directory', plant: (p) => mkdir(p) },
];

describe('readCapped', () => {
  it('counts bytes actually read, not stat().size: /dev/zero is refused, a growing file is capped', async () => {
    const r = await readCapped('/dev/zero', 1024);
    expect(r).toMatchObject({ ok: false, code: 'E_SOURCE_NOT_FILE' });
    const file = join(dir, 'f');
    await writeFile(file, Buffer.alloc(2048, 0x61));
    expect(await readCapped(file, 2047)).toMatchObject({ ok: false, code: 'E_FETCH_TOO_LARGE' });
    const ok = await readCapped(file, 2048);
    expect(ok.ok && ok.body.length).toBe(2048);
  });

  it('noFollow refuses a symlink even to a regular file', async () => {
    await writeFile(join(dir, 'real'), '{}');
    await symlink(join(dir, 'real'), join(dir, 'link'));
    expect(await readCapped(join(dir, 'link'), 100, { noFollow: true })).toMatchObject({
      ok: false,
      code: 'E_SOURCE_NOT_FILE',
    });
    expect(await readCapped(join(dir, 'link'), 100)).toMatchObject({ ok: true });
  });
});

describe.each(TRAPS)('manifest.json is $name', ({ plant }) => {
  it('directory source: refresh settles with a coded error', { timeout: 10_000 }, async () => {
    const src = join(dir, 'src');
    await publishToDir(src, makeBundle({ keys: [key], serial: 3 }));
    await rm(join(src, 'production', 'manifest.json'));
    await plant(join(src, 'production', 'manifest.json'));
    const c = client(src);
    const s = await c.refresh();
    expect(s.ready).toBe(false);
    expect(s.lastError?.code).toBe('E_SOURCE_NOT_FILE');
  });

  /** A cold client whose cache holds the trap as `file`, with the network serving serial 4. */
  async function coldClientOverTrap(file: string): Promise<SwitchyardClient> {
    server = await startBundleServer();
    server.publish(makeBundle({ keys: [key], serial: 4 }));
    const cache = join(dir, 'cache');
    await mkdir(join(cache, 'production'), { recursive: true });
    await plant(join(cache, 'production', file));
    const c = client(server.url, cache);
    await c.ready(5000);
    return c;
  }

  it('cache dir: a cold client becomes ready from the network', { timeout: 10_000 }, async () => {
    expect((await coldClientOverTrap('manifest.json')).status()).toMatchObject({
      ready: true,
      serial: 4,
      source: 'network',
    });
  });

  it('cache state.json: refused, and the client still becomes ready', { timeout: 10_000 }, async () => {
    expect((await coldClientOverTrap('state.json')).status()).toMatchObject({ ready: true, serial: 4 });
  });
});

describe('payload file traps in a directory source', () => {
  it('a payload that is /dev/zero is refused, not read', { timeout: 10_000 }, async () => {
    const src = join(dir, 'src');
    const b = makeBundle({ keys: [key], serial: 3 });
    await publishToDir(src, b);
    const payload = join(src, 'production', 'payload', `${b.sha256}.json`);
    await rm(payload);
    await symlink('/dev/zero', payload);
    const s = await client(src).refresh();
    expect(s).toMatchObject({ ready: false, lastError: { code: 'E_SOURCE_NOT_FILE' } });
  });
});
