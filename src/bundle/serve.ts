/**
 * `switchyard serve`: a small, strict HTTP server for a published directory.
 *
 * Only three kinds of path exist — `/<env>/manifest.json`, `/<env>/payload/<sha256>.json` and
 * `/healthz` — and they are matched against a whitelist before any file-system access, so no
 * request can name a file outside the served directory (`..`, `%2e%2e`, `%2f`, backslashes and NUL
 * are refused outright). Manifests are revalidated on every poll (`no-cache` + strong ETag → 304),
 * payloads are immutable by construction (their name is their hash).
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256Hex } from './runtime-format.ts';

export interface ServeLogEntry {
  method: string;
  path: string;
  status: number;
  bytes: number;
}

export interface BundleServerOptions {
  /** Called once per request (the CLI prints it); never receives request bodies or headers. */
  log?: (entry: ServeLogEntry) => void;
  /** Upper bound for cached payload bytes (payloads are immutable, so caching them is safe). Default 64 MiB. */
  maxCacheBytes?: number;
  /** Largest file served; bigger ones are refused with 500 instead of being read into memory. Default 64 MiB. */
  maxFileBytes?: number;
}

const MAX_URL_LENGTH = 1024;
const ENV = '[a-z0-9][a-z0-9_-]{0,62}';
const MANIFEST_PATH = new RegExp(`^/(${ENV})/manifest\\.json$`);
const PAYLOAD_PATH = new RegExp(`^/(${ENV})/payload/([0-9a-f]{64})\\.json$`);
const MANIFEST_CACHE = 'no-cache';
const PAYLOAD_CACHE = 'public, max-age=31536000, immutable';

/** RFC 9110 §13.1.2: If-None-Match uses weak comparison; `*` matches any current representation. */
function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === etag);
}

class PayloadCache {
  private readonly entries = new Map<string, Buffer>();
  private bytes = 0;
  private readonly max: number;
  constructor(max: number) {
    this.max = max;
  }
  get(sha: string): Buffer | undefined {
    return this.entries.get(sha);
  }
  set(sha: string, body: Buffer): void {
    // Concurrent misses of one payload all end here: count its bytes once.
    if (body.length > this.max || this.entries.has(sha)) return;
    this.entries.set(sha, body);
    this.bytes += body.length;
    for (const [key, value] of this.entries) {
      if (this.bytes <= this.max) break;
      this.entries.delete(key);
      this.bytes -= value.length;
    }
  }
}

/**
 * Reads a regular file of at most `max` bytes. The size is checked on the open handle before any
 * read, and the read itself stops after `max + 1` bytes, so an oversized (or growing) file is never
 * loaded into memory; anything but a regular file (a device, a FIFO) is treated as missing.
 */
async function readLimited(path: string, max: number): Promise<Buffer | 'missing' | 'too-large'> {
  let handle;
  try {
    // O_NONBLOCK: opening a FIFO must not wait for a writer (it is then refused as not a file).
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return 'missing';
    throw error;
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) return 'missing';
    if (info.size > max) return 'too-large';
    const buffer = Buffer.alloc(info.size + 1);
    let filled = 0;
    while (filled < buffer.length) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return filled > max ? 'too-large' : buffer.subarray(0, filled);
  } finally {
    await handle.close();
  }
}

/** Creates (does not start) the server for a published directory. */
export function createBundleServer(root: string, options: BundleServerOptions = {}): Server {
  const cache = new PayloadCache(options.maxCacheBytes ?? 64 * 1024 * 1024);
  const maxFile = options.maxFileBytes ?? 64 * 1024 * 1024;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<{ status: number; bytes: number; path: string }> => {
    const raw = req.url ?? '';
    const path = raw.split('?', 1)[0] ?? '';
    const send = (status: number, body: Buffer | string, headers: Record<string, string> = {}) => {
      const bytes = typeof body === 'string' ? Buffer.from(body) : body;
      const isHead = req.method === 'HEAD';
      res.writeHead(status, {
        'Content-Type': 'application/json; charset=utf-8',
        'Content-Length': String(status === 304 ? 0 : bytes.length),
        'X-Content-Type-Options': 'nosniff',
        ...headers,
      });
      res.end(isHead || status === 304 ? undefined : bytes);
      return { status, bytes: isHead || status === 304 ? 0 : bytes.length, path };
    };
    const error = (status: number, message: string, headers: Record<string, string> = {}) =>
      send(status, `${JSON.stringify({ error: message })}\n`, { 'Cache-Control': 'no-store', ...headers });

    if (req.method !== 'GET' && req.method !== 'HEAD') return error(405, 'method not allowed', { Allow: 'GET, HEAD' });
    if (raw.length > MAX_URL_LENGTH) return error(414, 'URI too long');
    // Nothing legitimate needs escapes, backslashes, NUL or dot segments: refuse before routing.
    if (/[%\\\0]/.test(path) || /(^|\/)\.\.?(\/|$)/.test(path) || !path.startsWith('/')) return error(400, 'bad path');
    if (path === '/healthz') return send(200, '{"status":"ok"}\n', { 'Cache-Control': 'no-store' });

    const manifest = MANIFEST_PATH.exec(path);
    if (manifest) {
      const body = await readLimited(join(root, manifest[1]!, 'manifest.json'), maxFile);
      if (body === 'missing') return error(404, 'not found');
      if (body === 'too-large') return error(500, 'manifest exceeds the size limit');
      const etag = `"${sha256Hex(body)}"`;
      const headers = { ETag: etag, 'Cache-Control': MANIFEST_CACHE };
      return matchesEtag(req.headers['if-none-match'], etag) ? send(304, '', headers) : send(200, body, headers);
    }

    const payload = PAYLOAD_PATH.exec(path);
    if (payload) {
      const sha = payload[2]!;
      const cacheKey = `${payload[1]}/${sha}`;
      let body = cache.get(cacheKey);
      if (!body) {
        const read = await readLimited(join(root, payload[1]!, 'payload', `${sha}.json`), maxFile);
        if (read === 'missing') return error(404, 'not found');
        if (read === 'too-large') return error(500, 'payload exceeds the size limit');
        // A corrupted file is never served under an address it does not match.
        if (sha256Hex(read) !== sha) return error(500, 'stored payload does not match its address');
        cache.set(cacheKey, read);
        body = read;
      }
      const etag = `"${sha}"`;
      const headers = { ETag: etag, 'Cache-Control': PAYLOAD_CACHE };
      return matchesEtag(req.headers['if-none-match'], etag) ? send(304, '', headers) : send(200, body, headers);
    }
    return error(404, 'not found');
  };

  const server = createServer({ maxHeaderSize: 16 * 1024, requestTimeout: 15_000, headersTimeout: 10_000, keepAliveTimeout: 5_000 }, (req, res) => {
    handle(req, res).then(
      (entry) => options.log?.({ method: req.method ?? '?', ...entry }),
      () => {
        if (!res.headersSent) {
          res.writeHead(500, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
          res.end('{"error":"internal error"}\n');
        } else {
          res.destroy();
        }
        options.log?.({ method: req.method ?? '?', path: (req.url ?? '').split('?', 1)[0] ?? '', status: 500, bytes: 0 });
      },
    );
  });
  server.maxConnections = 1024;
  server.maxRequestsPerSocket = 1000;
  return server;
}

/** Starts the server on 127.0.0.1 (or `host`) and resolves with the bound port (0 picks a free one). */
export function listen(server: Server, port: number, host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}
