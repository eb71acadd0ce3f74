import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBundleServer, listen } from '../../src/bundle/index.ts';
import { run } from './cli-capture.ts';
import { demoRepo, removeDir, tempDir } from './git-fixture.ts';

const dirs: string[] = [];
const track = (d: string) => (dirs.push(d), d);
let repo: string;
let keys: string;
let server: Server | undefined;

afterAll(async () => {
  if (server) await new Promise<void>((done) => server!.close(() => done()));
  dirs.forEach(removeDir);
});

beforeAll(async () => {
  repo = track(demoRepo());
  keys = track(tempDir('cli-keys'));
});

describe('bundle CLI', () => {
  it('keygen writes a 0600 private key, prints only public material, refuses to overwrite', async () => {
    const r = await run(keys, ['keygen', '--out', 'a.pem', '--trusted-keys', 'trusted.json', '--label', 'ci-a']);
    expect(r.code).toBe(0);
    expect(statSync(join(keys, 'a.pem')).mode & 0o777).toBe(0o600);
    const pem = readFileSync(join(keys, 'a.pem'), 'utf8');
    expect(pem).toContain('BEGIN PRIVATE KEY');
    const secret = pem.split('\n')[1]!;
    expect(r.out + r.err).not.toContain(secret);
    expect(r.out).toMatch(/keyid +[0-9a-f]{64}/);
    expect((await run(keys, ['keygen', '--out', 'b.pem', '--trusted-keys', 'trusted.json'])).code).toBe(0);
    expect((JSON.parse(readFileSync(join(keys, 'trusted.json'), 'utf8')) as { keys: unknown[] }).keys).toHaveLength(2);
    const again = await run(keys, ['keygen', '--out', 'a.pem']);
    expect(again.code).toBe(1);
    expect(readFileSync(join(keys, 'a.pem'), 'utf8')).toBe(pem);
    expect((await run(keys, ['keygen'])).code).toBe(2);
  });

  it('signs with the key from SWITCHYARD_SIGNING_KEY, adds a rotation signature, verifies, and reports each check', async () => {
    expect((await run(repo, ['compile', '--env', 'staging'])).code).toBe(0);
    const pem = readFileSync(join(keys, 'a.pem'), 'utf8');
    const signed = await run(repo, ['sign', '--env', 'staging'], { SWITCHYARD_SIGNING_KEY: pem });
    expect(signed.code, signed.err).toBe(0);
    expect(signed.out + signed.err).not.toContain(pem.split('\n')[1]!);
    // Rotation: the new key signs the same content; the old signature is kept.
    expect((await run(repo, ['sign', '--env', 'staging', '--key', join(keys, 'b.pem')])).code).toBe(0);
    const manifest = JSON.parse(readFileSync(join(repo, 'dist', 'staging', 'manifest.json'), 'utf8')) as {
      signatures: unknown[];
    };
    expect(manifest.signatures).toHaveLength(2);

    const ok = await run(repo, ['verify', 'dist', '--env', 'staging', '--trusted-keys', join(keys, 'trusted.json')]);
    expect(ok.code, ok.out).toBe(0);
    expect(ok.out).toContain('✔ 2 of 1 required trusted signature(s)');
    expect(ok.out).toContain('payload sha256');

    const wrongEnv = await run(repo, [
      'verify',
      'dist/staging',
      '--env',
      'production',
      '--trusted-keys',
      join(keys, 'trusted.json'),
    ]);
    expect(wrongEnv.code).toBe(1);
    expect(wrongEnv.out).toContain('✖ E_WRONG_ENV');

    const replay = await run(repo, [
      'verify',
      'dist',
      '--env',
      'staging',
      '--min-serial',
      '1000',
      '--trusted-keys',
      join(keys, 'trusted.json'),
    ]);
    expect(replay.out).toContain('✖ E_SERIAL_TOO_LOW');
    const late = await run(repo, [
      'verify',
      'dist',
      '--env',
      'staging',
      '--now',
      '2099-01-01T00:00:00Z',
      '--trusted-keys',
      join(keys, 'trusted.json'),
    ]);
    expect(late.out).toContain('✖ E_EXPIRED');
  });

  it('verify rejects a flipped byte in a published payload and refuses an untrusted signer, over HTTP too', async () => {
    const pub = track(tempDir('cli-pub'));
    expect((await run(repo, ['publish', '--env', 'staging', '--to', pub])).code).toBe(0);
    server = createBundleServer(pub);
    const port = await listen(server, 0);
    const url = `http://127.0.0.1:${port}`;
    const trusted = join(keys, 'trusted.json');
    expect((await run(repo, ['verify', url, '--env', 'staging', '--trusted-keys', trusted])).code).toBe(0);

    const other = track(tempDir('cli-other'));
    await run(other, ['keygen', '--out', 'x.pem', '--trusted-keys', 'only-x.json']);
    const untrusted = await run(repo, [
      'verify',
      url,
      '--env',
      'staging',
      '--trusted-keys',
      join(other, 'only-x.json'),
    ]);
    expect(untrusted.code).toBe(1);
    expect(untrusted.out).toContain('✖ E_SIGNATURE_UNTRUSTED');

    const pointer = JSON.parse(readFileSync(join(repo, 'dist', 'staging', 'compiled.json'), 'utf8')) as {
      sha256: string;
    };
    const file = join(pub, 'staging', 'payload', `${pointer.sha256}.json`);
    const bytes = readFileSync(file);
    bytes[20] = bytes[20]! ^ 0x01;
    writeFileSync(file, bytes);
    const tampered = await run(repo, ['verify', pub, '--env', 'staging', '--trusted-keys', trusted]);
    expect(tampered.code).toBe(1);
    expect(tampered.out).toContain('✖ E_PAYLOAD_HASH_MISMATCH');
    // The running server had cached the verified bytes (payloads are immutable), so it still serves them.
    expect((await run(repo, ['verify', url, '--env', 'staging', '--trusted-keys', trusted])).code).toBe(0);
    // A fresh server reads the corrupted file and refuses to serve it under an address it does not match.
    const fresh = createBundleServer(pub);
    const freshPort = await listen(fresh, 0);
    const viaHttp = await run(repo, [
      'verify',
      `http://127.0.0.1:${freshPort}`,
      '--env',
      'staging',
      '--trusted-keys',
      trusted,
    ]);
    await new Promise<void>((done) => fresh.close(() => done()));
    expect(viaHttp.code).toBe(1);
    expect(viaHttp.err).toContain('E_FETCH_PAYLOAD');
    expect(viaHttp.out).toContain('HTTP 500');
  });

  it('exits 2 on usage errors and 1 with a clear message on bad inputs', async () => {
    expect((await run(repo, ['compile'])).code).toBe(2);
    expect((await run(repo, ['verify', 'dist', '--env', 'staging'])).code).toBe(2);
    const noKey = await run(repo, ['sign', '--env', 'staging']);
    expect(noKey.code).toBe(2);
    expect(noKey.err).toContain('SWITCHYARD_SIGNING_KEY');
    const badKey = await run(repo, ['sign', '--env', 'staging'], { SWITCHYARD_SIGNING_KEY: 'not a key at all' });
    expect(badKey.code).toBe(1);
    expect(badKey.err).toContain('signing key cannot be read');
    const unknownEnv = await run(repo, ['compile', '--env', 'qa']);
    expect(unknownEnv.code).toBe(1);
    expect(unknownEnv.err).toContain('E_BUNDLE_UNKNOWN_ENV');
    const badTrusted = await run(repo, ['verify', 'dist', '--env', 'staging', '--trusted-keys', join(keys, 'a.pem')]);
    expect(badTrusted.code).toBe(1);
    expect(badTrusted.err).toContain('E_TRUSTED_KEYS_INVALID');
    expect(badTrusted.err).not.toContain(readFileSync(join(keys, 'a.pem'), 'utf8').split('\n')[1]!);
  });
});
