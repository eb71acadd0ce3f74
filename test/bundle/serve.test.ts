import { request } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
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
    for (const path of ['/', '/production/manifest.json', `/staging/payload/${'0'.repeat(64)}.json`, '/staging/compiled.json', '/staging/payload/nested', '/staging/', '/STAGING/manifest.json']) {
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
