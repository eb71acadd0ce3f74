/**
 * Fault injection against a real local HTTP server: in every case the client keeps serving the last
 * good bundle (or reports not-ready when it never had one) and status() says why.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClientNotReadyError, createClient } from '../src/index.ts';
import type { ClientStatus, SwitchyardClient } from '../src/index.ts';
import { DAY, demoPayload, generateSigningKey, makeBundle, trusted } from './helpers/bundles.ts';
import type { TestBundle } from './helpers/bundles.ts';
import { startBundleServer } from './helpers/bundle-server.ts';
import type { BundleServer, Fault } from './helpers/bundle-server.ts';

const key = generateSigningKey();
const stranger = generateSigningKey();

let server: BundleServer;
let dir: string;
const clients: SwitchyardClient[] = [];

beforeEach(async () => {
  server = await startBundleServer();
  dir = await mkdtemp(join(tmpdir(), 'switchyard-runtime-'));
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await server.close().catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

function client(extra: Partial<Parameters<typeof createClient>[0]> = {}): SwitchyardClient {
  const c = createClient({
    source: server.url,
    env: 'production',
    trustedKeys: trusted(key),
    cacheDir: join(dir, 'cache'),
    pollIntervalMs: 0,
    // Generous: only the timeout faults (hang, trickle) use a short deadline, so a busy machine
    // does not turn an ordinary fetch into a timeout.
    requestTimeoutMs: 5000,
    ...extra,
  });
  clients.push(c);
  return c;
}

const TIMEOUTS = new Set(['E_FETCH_TIMEOUT', 'E_FETCH_BODY_TIMEOUT']);

/**
 * Checks until `until` holds, retrying (a few times) only after a timeout: a client with a short
 * deadline may time out on a busy machine where no fault was injected. Any other error ends it.
 */
async function settle(c: SwitchyardClient, until: (s: ClientStatus) => boolean): Promise<ClientStatus> {
  let s = await c.refresh();
  for (let i = 0; i < 5 && !until(s) && TIMEOUTS.has(s.lastError?.code ?? ''); i++) s = await c.refresh();
  return s;
}

/** A client serving serial 1, ready. */
async function servingSerial1(extra: Partial<Parameters<typeof createClient>[0]> = {}): Promise<SwitchyardClient> {
  server.publish(makeBundle({ keys: [key], serial: 1 }));
  const c = client(extra);
  const s = await settle(c, (x) => x.ready);
  expect(s).toMatchObject({ ready: true, serial: 1 });
  return c;
}

function bundle2(): TestBundle {
  return makeBundle({
    keys: [key],
    serial: 2,
    payload: demoPayload('production', (p) => {
      p.flags['new-onboarding-tips']!.thresholdPpm = 1_000_000;
    }),
  });
}

async function expectStillServing(c: SwitchyardClient, code: string): Promise<void> {
  const s = await c.refresh();
  expect(s.lastError?.code).toBe(code);
  expect(s.serial).toBe(1);
  expect(s.ready).toBe(true);
  expect(s.consecutiveFailures).toBeGreaterThan(0);
  const r = c.isEnabled('new-onboarding-tips', { unitKey: 'user-1' });
  expect(r.serial).toBe(1);
  expect(r.reason).not.toBe('error');
}

/** Faults that need a short request deadline to show within a test. */
const SHORT = { requestTimeoutMs: 400 };

const transportFaults: Array<[string, { manifest?: Fault; payload?: Fault }, string, { requestTimeoutMs?: number }?]> =
  [
    ['5xx on the manifest', { manifest: { kind: 'status', status: 503 } }, 'E_FETCH_STATUS'],
    ['timeout (no response)', { manifest: { kind: 'hang' } }, 'E_FETCH_TIMEOUT', SHORT],
    ['slow-trickling body', { payload: { kind: 'trickle', intervalMs: 50 } }, 'E_FETCH_BODY_TIMEOUT', SHORT],
    ['truncated body', { payload: { kind: 'truncate' } }, 'E_FETCH_TRUNCATED'],
    ['missing payload', { payload: { kind: 'missing' } }, 'E_FETCH_STATUS'],
    [
      'oversize manifest body',
      { manifest: { kind: 'body', body: new Uint8Array(200_000).fill(32) } },
      'E_FETCH_TOO_LARGE',
    ],
    [
      'garbage JSON manifest',
      { manifest: { kind: 'body', body: new TextEncoder().encode('{"signed": nope') } },
      'E_MANIFEST_NOT_JSON',
    ],
  ];

describe('fault injection: keeps serving the last good bundle', () => {
  for (const [name, faults, code, extra] of transportFaults) {
    it(name, async () => {
      const c = await servingSerial1(extra);
      server.publish(bundle2());
      server.faults = faults;
      await expectStillServing(c, code);
      // Once the fault clears, the next check picks up serial 2.
      server.faults = {};
      const s = await settle(c, (x) => x.serial === 2);
      expect(s.lastError).toBeNull();
      expect(s.serial).toBe(2);
      expect(c.isEnabled('new-onboarding-tips', { unitKey: 'user-1' })).toMatchObject({ value: true, serial: 2 });
    });
  }

  it('connection refused', async () => {
    const c = await servingSerial1();
    await server.close();
    await expectStillServing(c, 'E_FETCH_CONNECTION');
  });

  it('bad signature: signed by a key the app does not trust', async () => {
    const c = await servingSerial1();
    server.publish(makeBundle({ keys: [stranger], serial: 2 }));
    await expectStillServing(c, 'E_SIGNATURE_UNTRUSTED');
  });

  it('bad signature: signed content altered after signing', async () => {
    const c = await servingSerial1();
    const b = bundle2();
    const tampered = new TextDecoder().decode(b.manifestBytes).replace('"serial":2', '"serial":9');
    server.publish({ ...b, manifestBytes: new TextEncoder().encode(tampered) });
    await expectStillServing(c, 'E_SIGNATURE_INVALID');
  });

  it('lower serial (replay of an older bundle)', async () => {
    server.publish(makeBundle({ keys: [key], serial: 5 }));
    const c = client();
    expect(await c.refresh()).toMatchObject({ ready: true, serial: 5 });
    server.publish(
      makeBundle({
        keys: [key],
        serial: 4,
        payload: demoPayload('production', (p) => {
          p.project = 'older';
        }),
      }),
    );
    const s = await c.refresh();
    expect(s.lastError?.code).toBe('E_SERIAL_TOO_LOW');
    expect(s.serial).toBe(5);
  });

  it('same serial with a different payload is refused', async () => {
    const c = await servingSerial1();
    server.publish(
      makeBundle({
        keys: [key],
        serial: 1,
        payload: demoPayload('production', (p) => {
          p.project = 'other';
        }),
      }),
    );
    await expectStillServing(c, 'E_SERIAL_CONFLICT');
  });

  it('expired manifest', async () => {
    const c = await servingSerial1();
    server.publish(makeBundle({ keys: [key], serial: 2, createdAt: Date.now() - 10 * DAY, expires: Date.now() - DAY }));
    await expectStillServing(c, 'E_EXPIRED');
  });

  it('payload hash mismatch (same length, different bytes)', async () => {
    const c = await servingSerial1();
    const b = bundle2();
    const evil = new TextEncoder().encode(
      new TextDecoder().decode(b.payloadBytes).replace('"project":"demo"', '"project":"evil"'),
    );
    expect(evil.byteLength).toBe(b.payloadBytes.byteLength);
    server.publish(b);
    server.faults = { payload: { kind: 'body', body: evil } };
    await expectStillServing(c, 'E_PAYLOAD_HASH_MISMATCH');
  });

  it('payload for another environment is refused', async () => {
    const c = await servingSerial1();
    const staging = demoPayload('staging');
    server.publish(makeBundle({ keys: [key], serial: 2, payload: staging }));
    // The manifest says production (makeBundle env default) but the payload says staging.
    await expectStillServing(c, 'E_PAYLOAD_MISMATCH');
  });

  it('ETag: an unchanged manifest is answered 304 and nothing is re-fetched', async () => {
    const c = await servingSerial1();
    server.log.length = 0;
    const s = await c.refresh();
    expect(s.lastError).toBeNull();
    expect(server.log).toHaveLength(1);
    expect(server.log[0]).toMatch(/^GET \/production\/manifest\.json "[0-9a-f]{64}"$/);
  });
});

describe('fault injection: never had a bundle → not ready, status says why', () => {
  for (const [name, faults, code, extra] of transportFaults) {
    it(name, async () => {
      server.publish(makeBundle({ keys: [key], serial: 1 }));
      server.faults = faults;
      const c = client({ cacheDir: null, ...extra });
      await c.refresh();
      await expect(c.ready(0)).rejects.toBeInstanceOf(ClientNotReadyError);
      await expect(c.ready(0)).rejects.toMatchObject({ code });
      expect(c.status()).toMatchObject({ ready: false, serial: 0, lastError: { code } });
      expect(c.isEnabled('new-onboarding-tips', { unitKey: 'u' })).toMatchObject({
        value: false,
        reason: 'error',
        errorCode: 'NOT_READY',
      });
    });
  }
});

describe('last-known-good cache', () => {
  it('server down at cold start with a valid disk cache: serves the cache', async () => {
    const first = await servingSerial1();
    await first.close();
    const files = await readdir(join(dir, 'cache', 'production', 'payload'));
    expect(files).toHaveLength(1);
    await server.close();
    const c = client();
    await c.ready(2000);
    const s = await c.refresh();
    expect(s).toMatchObject({
      ready: true,
      serial: 1,
      source: 'cache',
      stale: false,
      lastError: { code: 'E_FETCH_CONNECTION' },
    });
    expect(c.resolveModel('chat', { unitKey: 'u' }).serial).toBe(1);
  });

  it('corrupt disk cache: rejected at cold start; not ready while the server is down', async () => {
    const first = await servingSerial1();
    await first.close();
    const payloadDir = join(dir, 'cache', 'production', 'payload');
    const [file] = await readdir(payloadDir);
    await writeFile(join(payloadDir, file as string), '{"corrupt": true}');
    server.faults = { manifest: { kind: 'status', status: 500 } };
    const c = client();
    await c.refresh();
    await expect(c.ready(0)).rejects.toMatchObject({ code: 'E_FETCH_STATUS' });
    const s = c.status();
    expect(s.ready).toBe(false);
    expect(s.cacheError?.code).toBe('E_CACHE_INVALID');
    expect(s.cacheError?.message).toContain('E_PAYLOAD_LENGTH_MISMATCH');
    // The server recovers: the client loads from the network and rewrites the cache.
    server.faults = {};
    const after = await c.refresh();
    expect(after).toMatchObject({ ready: true, serial: 1, source: 'network', cacheError: null });
  });

  it('a cache signed by an untrusted key is rejected', async () => {
    const first = await servingSerial1();
    await first.close();
    await server.close();
    const c = client({ trustedKeys: trusted(stranger) });
    await c.refresh();
    await expect(c.ready(0)).rejects.toBeInstanceOf(ClientNotReadyError);
    await expect(c.ready(0)).rejects.toMatchObject({ code: 'E_FETCH_CONNECTION' });
    expect(c.status().cacheError).toMatchObject({
      code: 'E_CACHE_INVALID',
      message: expect.stringContaining('E_SIGNATURE_UNTRUSTED'),
    });
  });

  it('an expired cache is served at cold start, marked stale', async () => {
    const t0 = Date.now();
    server.publish(makeBundle({ keys: [key], serial: 3, createdAt: t0 - 2000, expires: t0 + 1500 }));
    const first = client({ now: () => t0 });
    await first.ready(5000);
    await first.close();
    await server.close();
    // Restarted after the bundle expired (by the client's clock, no waiting).
    const c = client({ now: () => t0 + 1600 });
    await c.ready(5000);
    expect(c.status()).toMatchObject({ serial: 3, stale: true, source: 'cache' });
    const r = c.isEnabled('new-onboarding-tips', { unitKey: 'user-1' });
    expect(r.reason).toBe('stale');
    expect(['rollout', 'default']).toContain(r.rule);
  });

  it('an expired cache is not served with serveExpiredCache: false', async () => {
    const t0 = Date.now();
    server.publish(makeBundle({ keys: [key], serial: 3, createdAt: t0 - 2000, expires: t0 + 1500 }));
    const first = client({ now: () => t0 });
    await first.ready(5000);
    await first.close();
    await server.close();
    const c = client({ now: () => t0 + 1600, serveExpiredCache: false });
    const s = await c.refresh();
    expect(s).toMatchObject({ ready: false, serialFloor: 3, lastError: { code: 'E_FETCH_CONNECTION' } });
    expect(s.cacheError?.message).toContain('E_EXPIRED');
  });
});

describe('expiry while running', () => {
  it('an expired current bundle keeps serving, marked stale, and is reported', async () => {
    let clock = Date.now();
    server.publish(makeBundle({ keys: [key], serial: 1, createdAt: clock - 1000, expires: clock + 700 }));
    const c = client({ now: () => clock });
    await c.ready(5000);
    expect(c.status().stale).toBe(false);
    expect(c.isEnabled('new-onboarding-tips', { unitKey: 'user-1' }).reason).not.toBe('stale');
    clock += 900;
    const s = await c.refresh();
    expect(s).toMatchObject({ serial: 1, stale: true, ready: true, ageMs: 1900 });
    const r = c.resolveModel('chat', { unitKey: 'user-1' });
    expect(r).toMatchObject({ reason: 'stale', serial: 1 });
    expect(r.value).toMatch(/^gpt-4o-2024-0[58]-/);
  });

  it('a manifest already expired by the client clock is refused', async () => {
    const t0 = Date.now();
    server.publish(makeBundle({ keys: [key], serial: 1, createdAt: t0 - 1000, expires: t0 + 60_000 }));
    const c = client({ now: () => t0 + 61_000, cacheDir: null });
    const s = await c.refresh();
    expect(s).toMatchObject({ ready: false, lastError: { code: 'E_EXPIRED' } });
  });
});
