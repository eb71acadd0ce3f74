/**
 * `switchyard serve` under attack and as a push channel: symlink escape, one client's stalled
 * sockets, long-poll delivering a publish to a waiting runtime, and the runtime falling back to
 * ETag polling on a static host. Real servers on 127.0.0.1, real runtime clients, real files.
 */
import { request, createServer, type Server } from 'node:http';
import { spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createBundleServer, listen, publishToDirectory } from '../../src/bundle/index.ts';
import { generateSigningKey, type SigningKey } from '../../src/bundle/keys.ts';
import { createClient, type SwitchyardClient } from '@switchyard/runtime';
import { trustedKeysFrom } from '@switchyard/runtime/bundle';
import { signedBundle, smallPayload } from './fixtures.ts';
import { removeDir, tempDir } from './git-fixture.ts';
import { watched } from '../helpers/wait-for.ts';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

let root: string;
const servers: Server[] = [];
const sockets: Socket[] = [];
const clients: SwitchyardClient[] = [];
const key: SigningKey = generateSigningKey();

beforeEach(() => {
  root = tempDir('serve-push');
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((done) => s.close(() => done()));
  }
  removeDir(root);
});

function get(port: number, path: string, headers: Record<string, string> = {}, localAddress?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers, agent: false, localAddress }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function serve(dir: string, options: Parameters<typeof createBundleServer>[1] = {}): Promise<number> {
  const s = createBundleServer(dir, options);
  servers.push(s);
  return listen(s, 0);
}

/** Serial n of the staging bundle, its payload's project name marking which one a client has. */
function bundle(serial: number) {
  return signedBundle([key], { serial, payload: { ...smallPayload('staging'), project: `p${serial}` } });
}

async function publish(dir: string, serial: number): Promise<void> {
  const b = bundle(serial);
  const r = await publishToDirectory(dir, b.manifestBytes, b.payloadBytes);
  expect(r.ok).toBe(true);
}

function client(url: string, extra: Partial<Parameters<typeof createClient>[0]> = {}): SwitchyardClient {
  const c = createClient({
    source: url,
    env: 'staging',
    trustedKeys: trustedKeysFrom([key.publicKey]),
    cacheDir: null,
    pollIntervalMs: 60_000,
    requestTimeoutMs: 5000,
    // The fixtures are signed at a fixed time; judge expiry there.
    now: () => Date.parse('2026-01-02T00:00:00Z'),
    ...extra,
  });
  clients.push(c);
  return c;
}

function nextSwap(c: SwitchyardClient): Promise<number> {
  return new Promise((resolve) => {
    const off = c.onChange(() => {
      off();
      resolve(performance.now());
    });
  });
}

describe('serve refuses paths that resolve outside its directory', () => {
  it('a manifest.json symlinked to a file outside is not served; a symlinked env or payload dir neither', async () => {
    const pub = join(root, 'pub');
    await publish(pub, 1);
    writeFileSync(join(root, 'secret.txt'), 'root:x:0:0:PRIVATE');
    mkdirSync(join(pub, 'evil', 'payload'), { recursive: true });
    symlinkSync(join(root, 'secret.txt'), join(pub, 'evil', 'manifest.json'));
    symlinkSync('/etc/passwd', join(pub, 'evil', 'payload', `${'a'.repeat(64)}.json`));
    mkdirSync(join(root, 'outside'));
    writeFileSync(join(root, 'outside', 'manifest.json'), 'PRIVATE');
    symlinkSync(join(root, 'outside'), join(pub, 'linked'));
    const port = await serve(pub);
    for (const path of ['/evil/manifest.json', `/evil/payload/${'a'.repeat(64)}.json`, '/linked/manifest.json']) {
      const r = await get(port, path);
      expect(r.status, path).toBe(404);
      expect(r.body.toString()).not.toContain('PRIVATE');
    }
    // A symlink that stays inside the directory (a ConfigMap-style layout) is still served.
    mkdirSync(join(pub, 'alias'));
    symlinkSync(join(pub, 'staging', 'manifest.json'), join(pub, 'alias', 'manifest.json'));
    expect((await get(port, '/alias/manifest.json')).status).toBe(200);
  });
});

describe('serve bounds what one client can hold', () => {
  it(
    '1,024 stalled sockets from one address do not block another client, and are closed',
    { timeout: 20_000 },
    async () => {
      const pub = join(root, 'pub');
      await publish(pub, 1);
      const port = await serve(pub);
      // Registered after the server's own listener, so it counts sockets the server has handled.
      const accepted = watched(0);
      servers.at(-1)?.on('connection', () => accepted.set(accepted.value + 1));
      const closed: Promise<void>[] = [];
      for (let i = 0; i < 1024; i++) {
        const s = connect({ host: '127.0.0.1', port, localAddress: '127.0.0.1' });
        s.on('error', () => undefined);
        closed.push(new Promise((done) => s.once('close', () => done())));
        sockets.push(s);
      }
      await accepted.until((n) => n === 1024, 'the server to take all 1,024 sockets');
      const started = performance.now();
      const r = await get(port, '/staging/manifest.json', {}, '127.0.0.2');
      expect(r.status).toBe(200);
      expect(performance.now() - started).toBeLessThan(2000);
      // Over the per-client cap: closed at once; under it: closed by the 5 s header deadline.
      await Promise.all(closed);
    },
  );
});

describe('long-poll: a publish reaches a waiting runtime in milliseconds', () => {
  it(
    'serve offers long-poll; the client holds a request and switches right after publish',
    { timeout: 20_000 },
    async () => {
      const pub = join(root, 'pub');
      await publish(pub, 1);
      const held = watched(0);
      const port = await serve(pub, { onLongPolls: (n) => held.set(n) });
      const first = await get(port, '/staging/manifest.json');
      expect(first.headers['switchyard-long-poll']).toBe('30');
      const c = client(`http://127.0.0.1:${port}`);
      await c.ready(5000);
      expect(c.status().serial).toBe(1); // the payload of serial n is project pn
      for (const serial of [2, 3]) {
        // The client's long-poll (sent right after the previous check) is held by the server.
        await held.until((n) => n === 1, `the long-poll before serial ${serial}`);
        const swapped = nextSwap(c);
        const at = performance.now();
        await publish(pub, serial);
        const latency = (await swapped) - at;
        expect(c.status().serial).toBe(serial);
        // A 60 s poll interval: only the held request can explain a switch this fast.
        expect(latency).toBeLessThan(3000);
      }
      // close() ends the held long-poll instead of waiting out its 25 s.
      await held.until((n) => n === 1, 'the long-poll after serial 3');
      const closing = performance.now();
      await c.close();
      expect(performance.now() - closing).toBeLessThan(2000);
    },
  );

  it('a held request answers 304 when the wait ends, with Preference-Applied', { timeout: 10_000 }, async () => {
    const pub = join(root, 'pub');
    await publish(pub, 1);
    const port = await serve(pub, { maxWaitSeconds: 1 });
    const etag = (await get(port, '/staging/manifest.json')).headers.etag as string;
    const started = performance.now();
    const r = await get(port, '/staging/manifest.json', { 'If-None-Match': etag, Prefer: 'wait=20' });
    expect(r.status).toBe(304);
    expect(r.headers['preference-applied']).toBe('wait=1');
    expect(performance.now() - started).toBeGreaterThanOrEqual(900);
  });

  it('on a static host (no offer) the client sends no Prefer and polls with ETags', { timeout: 10_000 }, async () => {
    const b = bundle(1);
    const seen: string[] = [];
    const s = createServer((req, res) => {
      seen.push(`${req.url} ${req.headers.prefer ?? '-'} ${req.headers['if-none-match'] ?? '-'}`);
      if (req.url?.endsWith('manifest.json')) {
        if (req.headers['if-none-match'] === '"m1"') return void res.writeHead(304, { etag: '"m1"' }).end();
        return void res.writeHead(200, { etag: '"m1"' }).end(b.manifestBytes);
      }
      res.writeHead(200).end(b.payloadBytes);
    });
    servers.push(s);
    await new Promise<void>((done) => s.listen(0, '127.0.0.1', done));
    const c = client(`http://127.0.0.1:${(s.address() as AddressInfo).port}`, { pollIntervalMs: 50, jitter: 0 });
    await c.ready(5000);
    await new Promise<void>((done) => {
      const t = setInterval(() => {
        if (seen.filter((l) => l.includes('"m1"')).length >= 2) {
          clearInterval(t);
          done();
        }
      }, 20);
    });
    expect(seen.every((l) => l.includes(' - '))).toBe(true);
    expect(seen.filter((l) => l.includes('wait='))).toEqual([]);
  });

  it('a server answering 304 to a cold client leaves it not ready with a meaningful lastError', async () => {
    const s = createServer((_req, res) => void res.writeHead(304).end());
    servers.push(s);
    await new Promise<void>((done) => s.listen(0, '127.0.0.1', done));
    const c = client(`http://127.0.0.1:${(s.address() as AddressInfo).port}`, { pollIntervalMs: 0 });
    const st = await c.refresh();
    expect(st.ready).toBe(false);
    expect(st.lastError?.code).toBe('E_FETCH_STATUS');
    expect(st.lastError?.message).toContain('304');
  });
});

describe('serve survives its log reader going away', () => {
  it('stdout closed (serve | head -1): EPIPE stops the log, not the server', { timeout: 30_000 }, async () => {
    const pub = join(root, 'pub');
    await publish(pub, 1);
    const child = spawn(process.execPath, [join(process.cwd(), 'bin/switchyard.mjs'), 'serve', pub, '--port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout!.once('data', (b: Buffer) => {
        const m = /127\.0\.0\.1:(\d+)/.exec(b.toString());
        if (m) resolve(Number(m[1]));
        else reject(new Error(b.toString()));
      });
    });
    child.stdout!.destroy();
    try {
      for (let i = 0; i < 20; i++) expect((await get(port, '/staging/manifest.json')).status).toBe(200);
      expect(child.exitCode).toBeNull();
      expect(stderr).not.toContain('EPIPE');
    } finally {
      child.kill('SIGTERM');
    }
  });
});

describe('serve keeps no state for names that do not exist', () => {
  it('10,000 made-up environments are 404s and leave the manifest cache empty of them', async () => {
    const pub = join(root, 'pub');
    await publish(pub, 1);
    const { ManifestStore } = await import('../../src/bundle/manifest-watch.ts');
    const store = new ManifestStore(pub);
    for (let i = 0; i < 10_000; i++) expect(await store.get(`env${i}`)).toEqual({ kind: 'missing' });
    expect((await store.get('staging')).kind).toBe('ok');
    expect((store as unknown as { entries: Map<string, unknown> }).entries.size).toBe(1);
    store.close();
  });
});
