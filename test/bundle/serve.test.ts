import { request } from 'node:http';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBundleServer, listen, publishToDirectory } from '../../src/bundle/index.ts';
import { generateSigningKey } from '../../src/bundle/keys.ts';
import { signedBundle } from './fixtures.ts';
import { removeDir, tempDir } from './git-fixture.ts';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

let server: Server;
let port: number;
let root: string;
let sha: string;
const logged: string[] = [];

/** Sends the request-target exactly as given (no client-side normalisation of `..` or escapes). */
function send(path: string, method = 'GET', headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  root = tempDir('serve');
  const bundle = signedBundle([generateSigningKey()]);
  sha = bundle.manifest.signed.payload.sha256;
  const published = await publishToDirectory(join(root, 'pub'), bundle.manifestBytes, bundle.payloadBytes);
  expect(published.ok).toBe(true);
  // A secret next to the served directory that no request may reach.
  writeFileSync(join(root, 'secret.pem'), 'PRIVATE');
  mkdirSync(join(root, 'pub', 'staging', 'payload', 'nested'), { recursive: true });
  server = createBundleServer(join(root, 'pub'), { log: (e) => logged.push(`${e.method} ${e.path} ${e.status}`) });
  port = await listen(server, 0);
});

afterAll(async () => {
  await new Promise<void>((done) => server.close(() => done()));
  removeDir(root);
});

describe('bundle server over real HTTP', () => {
  it('serves the manifest with a strong ETag and no-cache, and answers 304 on a match', async () => {
    const first = await send('/staging/manifest.json');
    expect(first.status).toBe(200);
    expect(first.headers['cache-control']).toBe('no-cache');
    expect(first.headers['content-type']).toContain('application/json');
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^"[0-9a-f]{64}"$/);
    expect(JSON.parse(first.body.toString()).signed.payload.sha256).toBe(sha);

    const again = await send('/staging/manifest.json', 'GET', { 'If-None-Match': etag });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    expect(again.headers.etag).toBe(etag);
    expect((await send('/staging/manifest.json', 'GET', { 'If-None-Match': `"nope", W/${etag}` })).status).toBe(304);
    expect((await send('/staging/manifest.json', 'GET', { 'If-None-Match': '"0000"' })).status).toBe(200);
  });

  it('serves payloads as immutable with the hash as ETag', async () => {
    const payload = await send(`/staging/payload/${sha}.json`);
    expect(payload.status).toBe(200);
    expect(payload.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(payload.headers.etag).toBe(`"${sha}"`);
    expect(payload.headers['x-content-type-options']).toBe('nosniff');
    expect((await send(`/staging/payload/${sha}.json`, 'GET', { 'If-None-Match': `"${sha}"` })).status).toBe(304);
  });

  it('answers HEAD with headers and no body', async () => {
    const head = await send(`/staging/payload/${sha}.json`, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    expect(Number(head.headers['content-length'])).toBeGreaterThan(100);
  });

  it('has a health endpoint', async () => {
    const health = await send('/healthz');
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body.toString())).toEqual({ status: 'ok' });
  });

  it('404s unknown paths, environments and payloads', async () => {
    for (const path of [
      '/',
      '/production/manifest.json',
      `/staging/payload/${'0'.repeat(64)}.json`,
      '/staging/compiled.json',
      '/staging/payload/nested',
      '/staging/',
      '/STAGING/manifest.json',
    ]) {
      expect((await send(path)).status, path).toBe(404);
    }
  });

  it('never serves anything outside the directory', async () => {
    const attempts = [
      '/../secret.pem',
      '/staging/../../secret.pem',
      '/%2e%2e/secret.pem',
      '/%2E%2E/%2E%2E/secret.pem',
      '/staging%2f..%2f..%2fsecret.pem',
      '/..%2fsecret.pem',
      '/..\\secret.pem',
      '/staging\\..\\..\\secret.pem',
      '/staging/manifest.json%00',
      '/%252e%252e/secret.pem',
      '/./staging/manifest.json',
      '//etc/passwd',
    ];
    for (const path of attempts) {
      const reply = await send(path);
      expect([400, 404], path).toContain(reply.status);
      expect(reply.body.toString()).not.toContain('PRIVATE');
    }
  });

  it('refuses other methods with 405 and an Allow header, and over-long URLs with 414', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS']) {
      const reply = await send('/staging/manifest.json', method);
      expect(reply.status).toBe(405);
      expect(reply.headers.allow).toBe('GET, HEAD');
    }
    expect((await send(`/${'a'.repeat(2000)}`)).status).toBe(414);
  });

  it('serves the new manifest after a publish, with a new ETag', async () => {
    const before = (await send('/staging/manifest.json')).headers.etag;
    const next = signedBundle([generateSigningKey()], { serial: 8 });
    expect((await publishToDirectory(join(root, 'pub'), next.manifestBytes, next.payloadBytes)).ok).toBe(true);
    const after = await send('/staging/manifest.json', 'GET', { 'If-None-Match': before as string });
    expect(after.status).toBe(200);
    expect(after.headers.etag).not.toBe(before);
    expect(logged.some((l) => l.startsWith('GET /staging/manifest.json 304'))).toBe(true);
  });
});

describe('bundle server file handling', () => {
  const servers: Server[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise<void>((done) => s.close(() => done()))));
  });
  async function start(dir: string, options: Parameters<typeof createBundleServer>[1] = {}): Promise<number> {
    const s = createBundleServer(dir, options);
    servers.push(s);
    return listen(s, 0);
  }
  function get(p: number, path: string): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: p, path, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('refuses an oversized file from its size, before reading it', async () => {
    const dir = join(root, 'huge');
    mkdirSync(join(dir, 'staging'), { recursive: true });
    // Sparse: 3 GiB on paper, nothing on disk. Reading it whole is what must not happen.
    writeFileSync(join(dir, 'staging', 'manifest.json'), '');
    truncateSync(join(dir, 'staging', 'manifest.json'), 3 * 2 ** 30);
    const p = await start(dir);
    const reply = await get(p, '/staging/manifest.json');
    expect(reply.status).toBe(500);
    expect(JSON.parse(reply.body.toString())).toEqual({ error: 'manifest exceeds the size limit' });
  });

  it('treats a FIFO as missing instead of blocking on it', { timeout: 10_000 }, async () => {
    const dir = join(root, 'fifo');
    mkdirSync(join(dir, 'staging'), { recursive: true });
    execFileSync('mkfifo', [join(dir, 'staging', 'manifest.json')]);
    const p = await start(dir);
    expect((await get(p, '/staging/manifest.json')).status).toBe(404);
  });

  it('counts a payload once in the cache when concurrent requests miss together', async () => {
    const dir = join(root, 'cache');
    const bundle = signedBundle([generateSigningKey()]);
    expect((await publishToDirectory(dir, bundle.manifestBytes, bundle.payloadBytes)).ok).toBe(true);
    const hash = bundle.manifest.signed.payload.sha256;
    // Room for one copy, not two: double counting would evict the payload right after caching it.
    const p = await start(dir, { maxCacheBytes: Math.floor(bundle.payloadBytes.byteLength * 1.5) });
    const path = `/staging/payload/${hash}.json`;
    const replies = await Promise.all(Array.from({ length: 8 }, () => get(p, path)));
    expect(replies.map((r) => r.status)).toEqual(new Array(8).fill(200));
    // Served from the cache from now on, even with the file gone.
    rmSync(join(dir, 'staging', 'payload', `${hash}.json`));
    const cached = await get(p, path);
    expect(cached.status).toBe(200);
    expect(Buffer.compare(cached.body, Buffer.from(bundle.payloadBytes))).toBe(0);
  });
});
