/**
 * `switchyard verify` reads through the runtime's read paths: a FIFO or /dev/zero as manifest.json
 * is refused with a code (it used to hang or read 3 GB), and over HTTP a gzip body, a hung body or
 * an oversized body are coded refusals — never "internal error", never a hang past the deadline.
 */
import { createServer, type Server } from 'node:http';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKey, trustedKeysDocument } from '../../src/bundle/keys.ts';
import { publishToDirectory } from '../../src/bundle/index.ts';
import { signedBundle } from './fixtures.ts';
import { run } from './cli-capture.ts';
import { removeDir, tempDir } from './git-fixture.ts';

let root: string;
let trusted: string;
const key = generateSigningKey();
const bundle = signedBundle([key]);
const servers: Server[] = [];

beforeAll(async () => {
  root = tempDir('verify-traps');
  trusted = join(root, 'trusted.json');
  writeFileSync(trusted, trustedKeysDocument([{ key: key.publicKey }]));
  expect((await publishToDirectory(join(root, 'pub'), bundle.manifestBytes, bundle.payloadBytes)).ok).toBe(true);
});
afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise<void>((done) => s.close(() => done()));
  }
  removeDir(root);
});

const verify = (location: string, ...extra: string[]) =>
  run(root, [
    'verify',
    location,
    '--env',
    'staging',
    '--trusted-keys',
    trusted,
    '--now',
    '2026-01-02T00:00:00Z',
    ...extra,
  ]);

describe('verify <dir>', () => {
  it('passes the published bundle', async () => {
    expect((await verify(join(root, 'pub'))).code).toBe(0);
  });
  for (const [name, plant] of [
    ['a FIFO', (p: string) => execFileSync('mkfifo', [p])],
    ['a symlink to /dev/zero', (p: string) => symlinkSync('/dev/zero', p)],
  ] as const) {
    it(`manifest.json is ${name}: refused with E_SOURCE_NOT_FILE`, { timeout: 10_000 }, async () => {
      const dir = join(root, `trap-${name.length}`, 'staging');
      mkdirSync(dir, { recursive: true });
      rmSync(join(dir, 'manifest.json'), { force: true });
      plant(join(dir, 'manifest.json'));
      const r = await verify(join(root, `trap-${name.length}`));
      expect(r.code).toBe(1);
      expect(r.out).toContain('E_FETCH_MANIFEST: E_SOURCE_NOT_FILE');
    });
  }
});

async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const s = createServer(handler);
  servers.push(s);
  await new Promise<void>((done) => s.listen(0, '127.0.0.1', done));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

describe('verify <url> is the runtime fetch path', () => {
  it('a gzip-encoded manifest is refused (E_FETCH_ENCODING), not silently decoded', async () => {
    const url = await serve((_req, res) => {
      const body = gzipSync(bundle.manifestBytes);
      res.writeHead(200, { 'content-encoding': 'gzip', 'content-length': body.length }).end(body);
    });
    const r = await verify(url);
    expect(r.code).toBe(1);
    expect(r.out).toContain('E_FETCH_ENCODING');
  });

  it('a body that never finishes hits the deadline (E_FETCH_BODY_TIMEOUT)', { timeout: 10_000 }, async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': 5000 });
      res.write('{');
    });
    const started = Date.now();
    const r = await verify(url, '--timeout-ms', '300');
    expect(r.code).toBe(1);
    expect(r.out).toContain('E_FETCH_BODY_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('an oversized manifest (no Content-Length) is E_MANIFEST_TOO_LARGE, a short one E_FETCH_TRUNCATED', async () => {
    const big = await serve((_req, res) => {
      res.writeHead(200);
      res.end(Buffer.alloc(200_000, 0x20));
    });
    const r = await verify(big);
    expect(r.code).toBe(1);
    expect(r.out).toContain('E_MANIFEST_TOO_LARGE');
    const cut = await serve((req, res) => {
      res.writeHead(200, { 'content-length': 1000 });
      res.write('{"signed"', () => req.socket.destroy());
    });
    const t = await verify(cut);
    expect(t.code).toBe(1);
    expect(t.out).toContain('E_FETCH_TRUNCATED');
    expect(t.err + t.out).not.toContain('internal error');
  });
});
