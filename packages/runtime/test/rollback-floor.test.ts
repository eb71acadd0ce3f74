/**
 * Rollback protection across restarts (monotonic serials, docs/bundles.md): a restarted client never
 * accepts a bundle older than the highest it accepted before, even when its last-known-good cache
 * is damaged. Real HTTP server on 127.0.0.1, real files.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '../src/index.ts';
import type { ClientStatus, SwitchyardClient } from '../src/index.ts';
import { demoPayload, generateSigningKey, makeBundle, trusted } from './helpers/bundles.ts';
import { startBundleServer } from './helpers/bundle-server.ts';
import type { BundleServer } from './helpers/bundle-server.ts';

const key = generateSigningKey();

let server: BundleServer;
let dir: string;
const clients: SwitchyardClient[] = [];

beforeEach(async () => {
  server = await startBundleServer();
  dir = await mkdtemp(join(tmpdir(), 'switchyard-floor-'));
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await server.close().catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

function client(cacheDir: string | null = join(dir, 'cache')): SwitchyardClient {
  const c = createClient({
    source: server.url,
    env: 'production',
    trustedKeys: trusted(key),
    cacheDir,
    pollIntervalMs: 0,
    requestTimeoutMs: 5000,
  });
  clients.push(c);
  return c;
}

const envDir = (): string => join(dir, 'cache', 'production');
const older = makeBundle({
  keys: [key],
  serial: 2,
  payload: demoPayload('production', (p) => {
    p.project = 'older';
  }),
});

/** Runs a client to serial 5 and stops it, leaving its cache behind. */
async function acceptSerial5(): Promise<void> {
  server.publish(makeBundle({ keys: [key], serial: 5 }));
  const first = client();
  await first.ready(5000);
  expect(first.status()).toMatchObject({ serial: 5, serialFloor: 5, cacheError: null });
  await first.close();
}

/** Waits for the cold-start cache phase and a network check of a fresh client. */
async function firstCheck(c: SwitchyardClient): Promise<ClientStatus> {
  return c.refresh();
}

describe('rollback floor across restarts', () => {
  it('persists the highest accepted serial in state.json', async () => {
    await acceptSerial5();
    const state = JSON.parse(await readFile(join(envDir(), 'state.json'), 'utf8')) as Record<string, unknown>;
    expect(state).toEqual({ highestSerial: 5, payloadSha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it('damaged cached payload: the verified cached manifest still sets the floor; an older valid bundle is refused', async () => {
    await acceptSerial5();
    const payloadDir = join(envDir(), 'payload');
    const [file] = await readdir(payloadDir);
    await writeFile(join(payloadDir, file as string), '{"damaged": true}');
    await rm(join(envDir(), 'state.json'));
    server.publish(older);
    const c = client();
    const s = await firstCheck(c);
    expect(s).toMatchObject({ ready: false, serial: 0, serialFloor: 5, lastError: { code: 'E_SERIAL_TOO_LOW' } });
    expect(s.cacheError?.message).toContain('E_PAYLOAD_LENGTH_MISMATCH');
    expect(c.isEnabled('new-onboarding-tips', { unitKey: 'u' })).toMatchObject({
      reason: 'error',
      errorCode: 'NOT_READY',
    });
  });

  it('damaged cached manifest and payload: state.json alone sets the floor', async () => {
    await acceptSerial5();
    await writeFile(join(envDir(), 'manifest.json'), 'not json');
    server.publish(older);
    const c = client();
    const s = await firstCheck(c);
    expect(s).toMatchObject({ ready: false, serialFloor: 5, lastError: { code: 'E_SERIAL_TOO_LOW' } });
    expect(s.cacheError?.code).toBe('E_CACHE_INVALID');
  });

  it('a cached manifest older than state.json is not served', async () => {
    await acceptSerial5();
    const oldCache = join(dir, 'old-cache');
    server.publish(older);
    const o = client(oldCache);
    await o.ready(5000);
    await o.close();
    // Put the serial-2 manifest and payload back in the cache (as an attacker with disk access might).
    await writeFile(join(envDir(), 'manifest.json'), await readFile(join(oldCache, 'production', 'manifest.json')));
    await writeFile(join(envDir(), 'payload', `${older.sha256}.json`), older.payloadBytes);
    await server.close();
    const c = client();
    const s = await firstCheck(c);
    expect(s).toMatchObject({ ready: false, serialFloor: 5, lastError: { code: 'E_FETCH_CONNECTION' } });
    expect(s.cacheError?.message).toContain('E_SERIAL_TOO_LOW');
  });

  it('the same serial is accepted again from the network after the cache was damaged', async () => {
    await acceptSerial5();
    const payloadDir = join(envDir(), 'payload');
    const [file] = await readdir(payloadDir);
    await writeFile(join(payloadDir, file as string), '{}');
    const c = client();
    const s = await firstCheck(c);
    expect(s).toMatchObject({ ready: true, serial: 5, source: 'network', lastError: null, cacheError: null });
  });

  it('the same serial with a different payload is refused at cold start', async () => {
    await acceptSerial5();
    await rm(join(envDir(), 'manifest.json'));
    server.publish(
      makeBundle({
        keys: [key],
        serial: 5,
        payload: demoPayload('production', (p) => {
          p.project = 'forked';
        }),
      }),
    );
    const c = client();
    const s = await firstCheck(c);
    expect(s).toMatchObject({ ready: false, lastError: { code: 'E_SERIAL_CONFLICT' } });
  });

  it('without cacheDir there is no floor across restarts (documented): the older bundle is accepted', async () => {
    await acceptSerial5();
    server.publish(older);
    const c = client(null);
    const s = await firstCheck(c);
    expect(s).toMatchObject({ ready: true, serial: 2, serialFloor: 2 });
  });
});

describe('refresh() during the cold-start cache load', () => {
  it('waits for the cache phase, so an older bundle is refused and never written to the cache', async () => {
    await acceptSerial5();
    const manifest5 = await readFile(join(envDir(), 'manifest.json'));
    server.publish(older);
    server.log.length = 0;
    const c = client();
    // Called in the same tick as the constructor: the cache load (all async file I/O) is still
    // running. (A FIFO used to hold it open; cache reads now refuse FIFOs without waiting.)
    const pending = c.refresh();
    expect(server.log).toEqual([]);
    const s = await pending;
    expect(s).toMatchObject({
      ready: true,
      serial: 5,
      source: 'cache',
      lastError: { code: 'E_SERIAL_TOO_LOW' },
      etag: null,
    });
    expect(server.log).toHaveLength(1);
    expect(await readFile(join(envDir(), 'manifest.json'))).toEqual(manifest5);
    expect(await readdir(join(envDir(), 'payload'))).not.toContain(`${older.sha256}.json`);
  });
});
