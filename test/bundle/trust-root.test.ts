/**
 * The trust root (docs/bundles.md, "Trust model"), end to end without restarting the app: a root
 * key pinned by the application signs keys.json; signing keys are rotated and revoked through it; a
 * fast-forward serial is recovered by a root-signed floor reset; absurd serials are refused
 * everywhere. Real CLI (in-process), real `switchyard serve`, real runtime clients, real files.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildSigned,
  createBundleServer,
  listen,
  loadSigningKeys,
  publishToDirectory,
  signManifest,
  type SigningKey,
} from '../../src/bundle/index.ts';
import { createClient, type SwitchyardClient } from '@switchyard/runtime';
import {
  canonicalBytes,
  parseTrustedKeys,
  sha256Hex,
  verifyManifest,
  trustedKeysFrom,
} from '@switchyard/runtime/bundle';
import { COMMIT, smallPayload } from './fixtures.ts';
import { run } from './cli-capture.ts';
import { removeDir, tempDir } from './git-fixture.ts';

const NOW = Date.parse('2026-12-04T00:00:00Z');
let dir: string;
let pub: string;
let server: Server;
let url: string;
const clients: SwitchyardClient[] = [];
let ciA: SigningKey;
let ciB: SigningKey;

beforeAll(async () => {
  dir = tempDir('trust-root');
  pub = join(dir, 'pub');
  mkdirSync(pub);
  for (const args of [
    ['keygen', '--root', '--out', 'root.pem', '--trusted-keys', 'root-keys.json', '--label', 'root-1'],
    ['keygen', '--out', 'ci-a.pem', '--trusted-keys', 'signing-a.json', '--label', 'ci-a'],
    ['keygen', '--out', 'ci-b.pem', '--trusted-keys', 'signing-b.json', '--label', 'ci-b'],
  ])
    expect((await run(dir, args)).code).toBe(0);
  // The overlap key set for the rotation: a and b.
  const a = JSON.parse(readFileSync(join(dir, 'signing-a.json'), 'utf8')) as { keys: unknown[] };
  const b = JSON.parse(readFileSync(join(dir, 'signing-b.json'), 'utf8')) as { keys: unknown[] };
  writeFileSync(join(dir, 'signing-ab.json'), JSON.stringify({ threshold: 1, keys: [...a.keys, ...b.keys] }));
  const keys = await loadSigningKeys([join(dir, 'ci-a.pem'), join(dir, 'ci-b.pem')], {});
  if (!keys.ok) throw new Error(keys.message);
  [ciA, ciB] = keys.keys as [SigningKey, SigningKey];
  server = createBundleServer(pub);
  url = `http://127.0.0.1:${await listen(server, 0)}`;
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  server.closeAllConnections();
  await new Promise<void>((done) => server.close(() => done()));
  removeDir(dir);
});

const trust = (...args: string[]) =>
  run(dir, [
    'trust',
    ...args,
    '--root-keys',
    'root-keys.json',
    ...(args[0] === 'show' ? [] : ['--root-key', 'root.pem']),
  ]);

/** A staging bundle of `serial` signed by `keys` (bypassing buildSigned's bound when asked, as a foreign tool could). */
function bundle(serial: number, keys: SigningKey[]) {
  const payloadBytes = canonicalBytes({ ...smallPayload('staging'), project: `p${serial}` });
  const signed = {
    ...buildSigned({
      env: 'staging',
      serial: 1,
      commit: COMMIT,
      createdAt: new Date(NOW - 60_000),
      expires: new Date(NOW + 30 * 86_400_000),
      payload: { sha256: sha256Hex(payloadBytes), length: payloadBytes.byteLength },
    }),
    serial,
  };
  return { manifestBytes: canonicalBytes(signManifest(signed, keys)), payloadBytes };
}

async function publish(serial: number, keys: SigningKey[], allowLowerSerial = false): Promise<void> {
  const b = bundle(serial, keys);
  const r = await publishToDirectory(pub, b.manifestBytes, b.payloadBytes, { allowLowerSerial });
  expect(r.ok, JSON.stringify(r)).toBe(true);
}

function client(cacheDir: string): SwitchyardClient {
  const c = createClient({
    source: url,
    env: 'staging',
    trustRoot: readFileSync(join(dir, 'root-keys.json'), 'utf8'),
    cacheDir,
    pollIntervalMs: 0,
    requestTimeoutMs: 5000,
    now: () => NOW,
  });
  clients.push(c);
  return c;
}

describe('rotation, revocation and floor reset without restarting the app', () => {
  const cache = () => join(dir, 'cache');
  let app: SwitchyardClient;

  it('init: the root names ci-a; the app (pinning only the root) accepts ci-a bundles', async () => {
    expect((await trust('init', join(pub, 'keys.json'), '--signing-keys', 'signing-a.json')).code).toBe(0);
    await publish(1, [ciA]);
    app = client(cache());
    const s = await app.refresh();
    expect(s).toMatchObject({ ready: true, serial: 1, keysVersion: 1, lastError: null });
  });

  it('rotate: a ci-b bundle is accepted once the root-signed keys.json names ci-b', async () => {
    await publish(2, [ciB]);
    expect((await app.refresh()).lastError?.code).toBe('E_SIGNATURE_UNTRUSTED');
    expect((await trust('rotate', join(pub, 'keys.json'), '--signing-keys', 'signing-ab.json')).code).toBe(0);
    expect(await app.refresh()).toMatchObject({ serial: 2, keysVersion: 2, lastError: null });
  });

  it('revoke: a bundle signed only by the revoked key stops verifying; replaying the old keys.json is refused', async () => {
    const v2 = readFileSync(join(pub, 'keys.json'));
    const r = await trust('revoke', join(pub, 'keys.json'), '--keyid', ciA.keyid);
    expect(r.code, r.err).toBe(0);
    await publish(3, [ciA]);
    expect(await app.refresh()).toMatchObject({
      serial: 2,
      keysVersion: 3,
      lastError: { code: 'E_SIGNATURE_UNTRUSTED' },
    });
    const v3 = readFileSync(join(pub, 'keys.json'));
    writeFileSync(join(pub, 'keys.json'), v2);
    expect(await app.refresh()).toMatchObject({ serial: 2, keysVersion: 3, lastError: { code: 'E_KEYS_ROLLBACK' } });
    writeFileSync(join(pub, 'keys.json'), v3);
    // A keys.json signed by a signing key (not the root) is refused too.
    const forged = JSON.parse(v3.toString()) as { signatures: unknown[] };
    forged.signatures = signManifest({ x: 1 } as never, [ciB]).signatures;
    writeFileSync(join(pub, 'keys.json'), JSON.stringify(forged));
    expect((await app.refresh()).lastError?.code).toMatch(/^E_SIGNATURE_/);
    writeFileSync(join(pub, 'keys.json'), v3);
  });

  it('fast-forward: a validly signed serial far ahead locks the app out, across a restart', async () => {
    await publish(4_000_000_000, [ciB]);
    expect(await app.refresh()).toMatchObject({ serial: 4_000_000_000, serialFloor: 4_000_000_000 });
    await publish(4, [ciB], true);
    expect((await app.refresh()).lastError?.code).toBe('E_SERIAL_TOO_LOW');
    const restarted = client(cache());
    expect((await restarted.refresh()).lastError?.code).toBe('E_SERIAL_TOO_LOW');
    await restarted.close();
  });

  it('recovery: a root-signed floor reset lets the app take serial 4 at its next check; the runaway serial stays refused', async () => {
    const runaway = bundle(4_000_000_000, [ciB]);
    const r = await trust(
      'reset-floor',
      join(pub, 'keys.json'),
      '--env',
      'staging',
      '--floor',
      '3',
      '--ceiling',
      '1000000',
    );
    expect(r.code, r.err).toBe(0);
    expect(await app.refresh()).toMatchObject({
      serial: 4,
      serialFloor: 4,
      keysVersion: 4,
      lastError: null,
      floorPersisted: true,
    });
    expect(app.status().serial).toBe(4); // the payload of serial n is project pn
    // Replaying the runaway bundle: refused by the reset's ceiling.
    await publishToDirectory(pub, runaway.manifestBytes, runaway.payloadBytes);
    expect(await app.refresh()).toMatchObject({ serial: 4, lastError: { code: 'E_SERIAL_ABOVE_CEILING' } });
    await publish(5, [ciB], true);
    expect(await app.refresh()).toMatchObject({ serial: 5, lastError: null });
    // The reset is applied once: a restart resumes from floor 5 (cache), not from the reset's 3.
    const restarted = client(cache());
    await restarted.ready(5000);
    expect(restarted.status()).toMatchObject({ serial: 5, serialFloor: 5, source: 'cache', keysVersion: 4 });
    await restarted.close();
  });

  it('trust show verifies and prints; a document not signed by the pinned root is refused', async () => {
    const shown = await trust('show', join(pub, 'keys.json'));
    expect(shown.code).toBe(0);
    expect(shown.out).toContain('version 4');
    expect(shown.out).toContain('floor reset staging: floor 3, ceiling 1000000');
    const other = await run(dir, ['trust', 'show', join(pub, 'keys.json'), '--root-keys', 'signing-b.json']);
    expect(other.code).toBe(1);
    expect(other.err).toContain('E_SIGNATURE_UNTRUSTED');
  });
});

describe('absurd serials are refused everywhere', () => {
  it('runtime verification: 2^53-1 and 2^32 → E_SERIAL_OUT_OF_RANGE', () => {
    for (const serial of [Number.MAX_SAFE_INTEGER, 2 ** 32]) {
      const v = verifyManifest(bundle(serial, [ciB]).manifestBytes, {
        trustedKeys: trustedKeysFrom([ciB.publicKey]),
        env: 'staging',
        now: NOW,
      });
      expect(v.ok ? 'accepted' : v.code).toBe('E_SERIAL_OUT_OF_RANGE');
    }
  });

  it('publish without --trusted-keys: an unsigned 1e308 is refused and blocks nothing', async () => {
    const target = join(dir, 'pub-absurd');
    const b = bundle(7, [ciB]);
    const manifest = JSON.parse(Buffer.from(b.manifestBytes).toString()) as { signed: { serial: number } };
    manifest.signed.serial = 1e308;
    const r = await publishToDirectory(
      target,
      Buffer.from(JSON.stringify(manifest).replace('1e+308', '1e308')),
      b.payloadBytes,
    );
    expect(r).toMatchObject({ ok: false, code: 'E_PUBLISH_BAD_MANIFEST' });
    expect((await publishToDirectory(target, b.manifestBytes, b.payloadBytes)).ok).toBe(true);
  });

  it('sign --serial above the bound is a usage error', async () => {
    const r = await run(dir, [
      'sign',
      'nowhere',
      '--env',
      'staging',
      '--serial',
      String(Number.MAX_SAFE_INTEGER),
      '--key',
      'ci-b.pem',
    ]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--serial must be an integer from 1 to 4294967295');
  });

  it('a cached floor of 2^53-1 (from before the bound) does not lock a client out', async () => {
    const cache = join(dir, 'cache-old');
    mkdirSync(join(cache, 'staging'), { recursive: true });
    writeFileSync(
      join(cache, 'staging', 'state.json'),
      JSON.stringify({ highestSerial: Number.MAX_SAFE_INTEGER, payloadSha256: 'a'.repeat(64) }),
    );
    const target = join(dir, 'pub-plain');
    const b = bundle(6, [ciB]);
    await publishToDirectory(target, b.manifestBytes, b.payloadBytes);
    const c = createClient({
      source: target,
      env: 'staging',
      trustedKeys: trustedKeysFrom([ciB.publicKey]),
      cacheDir: cache,
      pollIntervalMs: 0,
      now: () => NOW,
    });
    clients.push(c);
    const s = await c.refresh();
    // The out-of-range state is reported and ignored; the successful check rewrites it.
    expect(s).toMatchObject({ ready: true, serial: 6, serialFloor: 6, floorPersisted: true });
    expect(JSON.parse(readFileSync(join(cache, 'staging', 'state.json'), 'utf8'))).toMatchObject({ highestSerial: 6 });
  });
});

describe('small trust items', () => {
  it('a PRIVATE KEY PEM in a trusted-keys file is refused, not used', () => {
    const pem = readFileSync(join(dir, 'ci-a.pem'), 'utf8');
    const r = parseTrustedKeys(JSON.stringify({ keys: [{ publicKey: pem }] }));
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.message).toContain('PRIVATE key');
    expect(r.ok ? '' : r.message).not.toContain(pem.split('\n')[1]!);
  });

  it('a cache write that fails leaves floorPersisted false and says the floor is not persisted', async () => {
    const target = join(dir, 'pub-enospc');
    const b = bundle(9, [ciB]);
    await publishToDirectory(target, b.manifestBytes, b.payloadBytes);
    const cache = join(dir, 'cache-full');
    // state.json is a non-empty directory: its rename fails, as on a full disk.
    mkdirSync(join(cache, 'staging', 'state.json', 'x'), { recursive: true });
    const c = createClient({
      source: target,
      env: 'staging',
      trustedKeys: trustedKeysFrom([ciB.publicKey]),
      cacheDir: cache,
      pollIntervalMs: 0,
      now: () => NOW,
    });
    clients.push(c);
    const s = await c.refresh();
    expect(s).toMatchObject({ ready: true, serial: 9, floorPersisted: false, cacheError: { code: 'E_CACHE_WRITE' } });
    expect(s.cacheError?.message).toContain('not persisted');
  });
});
