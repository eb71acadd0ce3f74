/**
 * `switchyard serve`: a small, strict HTTP server for a published directory.
 *
 * Only four kinds of path exist — `/<env>/manifest.json`, `/<env>/payload/<sha256>.json`,
 * `/keys.json` (the root-signed keys document) and `/healthz` — and they are matched against a whitelist before any file-system access (`..`,
 * `%2e%2e`, `%2f`, backslashes and NUL are refused outright). A whitelisted name can still be a
 * symlink, so every file is resolved with realpath and must lie inside the served directory, is
 * opened with O_NOFOLLOW|O_NONBLOCK and must be a regular file (the runtime's `readCapped`).
 *
 * Manifests are revalidated on every poll (`no-cache` + strong ETag → 304) from an in-memory copy
 * kept fresh by one `stat` per request, so a 304 costs no read and no hash. Payloads are immutable
 * by construction (their name is their hash). Long-poll (`manifest-watch.ts`): a poller that sends
 * `If-None-Match` and `Prefer: wait=<s>` is held until the manifest changes, so a publish reaches
 * waiting runtimes in milliseconds; static hosts simply ignore the preference.
 *
 * Sockets: at most `maxConnectionsPerClient` per remote address (one client's stalled sockets
 * cannot starve the others), a connection must send its first byte within 5 s and its headers
 * within 5 s (checked every second), idle keep-alive sockets close after 5 s.
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readCapped } from './runtime-format.ts';
import { ManifestStore, parseWaitPreference, type ManifestStoreOptions } from './manifest-watch.ts';
import { readInside } from './serve-files.ts';
import { sha256Hex } from './runtime-format.ts';

export interface ServeLogEntry {
  method: string;
  path: string;
  status: number;
  bytes: number;
}

export interface BundleServerOptions extends ManifestStoreOptions {
  /** Called once per request (the CLI prints it); never receives request bodies or headers. */
  log?: (entry: ServeLogEntry) => void;
  /** Upper bound for cached payload bytes (payloads are immutable, so caching them is safe). Default 64 MiB. */
  maxCacheBytes?: number;
  /** Largest file served; bigger ones are refused with 500 instead of being read into memory. Default 64 MiB. */
  maxFileBytes?: number;
  /** Open sockets allowed per remote address; more are closed at once. Default 64. */
  maxConnectionsPerClient?: number;
  /** Longest long-poll hold honoured, in seconds (0 disables long-poll). Default 30. */
  maxWaitSeconds?: number;
  /**
   * Called with the number of long-polls held each time it changes, once the request is waiting
   * for a change (tests wait on it instead of sleeping; docs/testing.md).
   */
  onLongPolls?: (held: number) => void;
}

/** Response header by which the server offers long-poll: the longest `Prefer: wait` it honours, in seconds. */
export const LONG_POLL_HEADER = 'Switchyard-Long-Poll';

const MAX_URL_LENGTH = 1024;
/** A connection must start its request within this time. */
const FIRST_BYTE_TIMEOUT_MS = 5_000;
const ENV = '[a-z0-9][a-z0-9_-]{0,62}';
const MANIFEST_PATH = new RegExp(`^/(${ENV})/manifest\\.json$`);
const PAYLOAD_PATH = new RegExp(`^/(${ENV})/payload/([0-9a-f]{64})\\.json$`);
const MANIFEST_CACHE = 'no-cache';
const PAYLOAD_CACHE = 'public, max-age=31536000, immutable';

/** RFC 9110 §13.1.2: If-None-Match uses weak comparison; `*` matches any current representation. */
function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header === etag) return true;
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

/** What every request of one server shares: its directory, options, payload cache and manifest store. */
interface ServeContext {
  root: string;
  options: BundleServerOptions;
  cache: PayloadCache;
  maxFile: number;
  maxWait: number;
  /** The long-poll offer header, when long-poll is on. */
  offer: Record<string, string>;
  manifests: ManifestStore;
  /** Long-polls being held now (reported through `options.onLongPolls`). */
  held: number;
}

type LogLine = { status: number; bytes: number; path: string };

function serveContext(root: string, options: BundleServerOptions): ServeContext {
  const cache = new PayloadCache(options.maxCacheBytes ?? 64 * 1024 * 1024);
  const maxFile = options.maxFileBytes ?? 64 * 1024 * 1024;
  const maxWait = options.maxWaitSeconds ?? 30;
  const offer: Record<string, string> = maxWait > 0 ? { [LONG_POLL_HEADER]: String(maxWait) } : {};
  const headers304 = [
    'Content-Length',
    '0',
    'X-Content-Type-Options',
    'nosniff',
    'Cache-Control',
    MANIFEST_CACHE,
    ...Object.entries(offer).flat(),
  ];
  const manifests = new ManifestStore(root, { ...options, maxFileBytes: maxFile, headers304 });
  return { root, options, cache, maxFile, maxWait, offer, manifests, held: 0 };
}

/** How one request is answered: a body (none for HEAD and 304) or a JSON error, never cached. */
interface Reply {
  send(status: number, body: Buffer | string, headers?: Record<string, string>): LogLine;
  error(status: number, message: string, headers?: Record<string, string>): LogLine;
}

function replyTo(req: IncomingMessage, res: ServerResponse, path: string): Reply {
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
  return { send, error };
}

/** Refuses what is not a whitelisted path, then serves the health check, keys, a manifest or a payload. */
async function handle(ctx: ServeContext, req: IncomingMessage, res: ServerResponse): Promise<LogLine> {
  const raw = req.url ?? '';
  const q = raw.indexOf('?');
  const path = q < 0 ? raw : raw.slice(0, q);
  const reply = replyTo(req, res, path);
  const { send, error } = reply;

  if (req.method !== 'GET' && req.method !== 'HEAD') return error(405, 'method not allowed', { Allow: 'GET, HEAD' });
  if (raw.length > MAX_URL_LENGTH) return error(414, 'URI too long');
  // Nothing legitimate needs escapes, backslashes, NUL or dot segments: refuse before routing.
  if (/[%\\\0]/.test(path) || /(^|\/)\.\.?(\/|$)/.test(path) || !path.startsWith('/')) return error(400, 'bad path');
  if (path === '/healthz') return send(200, '{"status":"ok"}\n', { 'Cache-Control': 'no-store' });
  if (path === '/keys.json') return serveKeys(ctx, req, reply);
  const manifest = MANIFEST_PATH.exec(path);
  if (manifest) return serveManifest(ctx, req, res, reply, manifest[1]!, path);
  const payload = PAYLOAD_PATH.exec(path);
  if (payload) return servePayload(ctx, req, reply, payload[1]!, payload[2]!);
  return error(404, 'not found');
}

/** `/keys.json`: the root-signed keys document, revalidated like a manifest. */
async function serveKeys(ctx: ServeContext, req: IncomingMessage, { send, error }: Reply): Promise<LogLine> {
  const keys = await ctx.manifests.keys();
  if (keys.kind === 'missing') return error(404, 'not found');
  if (keys.kind !== 'ok') return error(500, 'keys document unreadable or too large');
  const headers = { ETag: keys.etag, 'Cache-Control': MANIFEST_CACHE };
  return matchesEtag(req.headers['if-none-match'], keys.etag) ? send(304, '', headers) : send(200, keys.body, headers);
}

/** `/<env>/manifest.json`: revalidated on every poll; held (long-poll) when asked and still current. */
async function serveManifest(
  ctx: ServeContext,
  req: IncomingMessage,
  res: ServerResponse,
  { send, error }: Reply,
  env: string,
  path: string,
): Promise<LogLine> {
  const { manifests, maxWait, offer } = ctx;
  let current = await manifests.get(env);
  const ifNoneMatch = req.headers['if-none-match'];
  const wait = req.method === 'GET' ? Math.min(parseWaitPreference(req.headers.prefer), maxWait) : 0;
  let applied: Record<string, string> = {};
  if (wait > 0 && current.kind === 'ok' && matchesEtag(ifNoneMatch, current.etag)) {
    // Long-poll: hold the 304 until the manifest changes, the wait ends or the client leaves.
    const changed = manifests.waitForChange(env, current.etag, wait * 1000, req);
    ctx.options.onLongPolls?.(++ctx.held);
    current = await changed;
    ctx.options.onLongPolls?.(--ctx.held);
    applied = { 'Preference-Applied': `wait=${wait}` };
  }
  if (res.destroyed) return { status: 499, bytes: 0, path };
  if (current.kind === 'missing') return error(404, 'not found', offer);
  if (current.kind === 'too-large') return error(500, 'manifest exceeds the size limit');
  if (current.kind === 'unreadable') return error(500, 'manifest unreadable');
  const headers = { ETag: current.etag, 'Cache-Control': MANIFEST_CACHE, ...offer, ...applied };
  return matchesEtag(ifNoneMatch, current.etag) ? send(304, '', headers) : send(200, current.body, headers);
}

/** `/<env>/payload/<sha256>.json`: immutable, cached, and served only when its bytes match its name. */
async function servePayload(
  ctx: ServeContext,
  req: IncomingMessage,
  { send, error }: Reply,
  env: string,
  sha: string,
): Promise<LogLine> {
  const cacheKey = `${env}/${sha}`;
  let body = ctx.cache.get(cacheKey);
  if (!body) {
    const read = await readInside(ctx.root, [env, 'payload', `${sha}.json`], ctx.maxFile, readCapped);
    if (read === 'missing') return error(404, 'not found');
    if (read === 'too-large') return error(500, 'payload exceeds the size limit');
    if (read === 'unreadable') return error(500, 'payload unreadable');
    // A corrupted file is never served under an address it does not match.
    if (sha256Hex(read) !== sha) return error(500, 'stored payload does not match its address');
    ctx.cache.set(cacheKey, read);
    body = read;
  }
  const etag = `"${sha}"`;
  const headers = { ETag: etag, 'Cache-Control': PAYLOAD_CACHE };
  return matchesEtag(req.headers['if-none-match'], etag) ? send(304, '', headers) : send(200, body, headers);
}

/**
 * The hot path, synchronous: a poll whose ETag still matches the in-memory manifest (no wait
 * asked) is answered 304 without a promise, a routing pass or a header object per request.
 * Anything else goes to `handle`.
 */
function revalidated(ctx: ServeContext, req: IncomingMessage, res: ServerResponse): boolean {
  const inm = req.headers['if-none-match'];
  if (inm === undefined || req.method !== 'GET' || req.headers.prefer !== undefined) return false;
  const url = req.url ?? '';
  if (url.length > MAX_URL_LENGTH || /[%\\\0?]/.test(url)) return false;
  const m = MANIFEST_PATH.exec(url);
  if (m === null) return false;
  const current = ctx.manifests.get(m[1]!);
  if (current instanceof Promise || current.kind !== 'ok' || inm !== current.etag) return false;
  res.writeHead(304, current.headers304);
  res.end();
  ctx.options.log?.({ method: 'GET', path: url, status: 304, bytes: 0 });
  return true;
}

/** Answers one request (hot path first) and logs it; an unexpected failure is a 500, never a crash. */
function onRequest(ctx: ServeContext, req: IncomingMessage, res: ServerResponse): void {
  const { options } = ctx;
  // A request arrived: the first-byte deadline set on connection no longer applies (a held
  // long-poll is silent by design; requestTimeout and keepAliveTimeout take over).
  req.socket.setTimeout(0);
  if (revalidated(ctx, req, res)) return;
  handle(ctx, req, res).then(
    (entry) => options.log?.({ method: req.method ?? '?', ...entry }),
    () => {
      if (!res.headersSent) {
        res.writeHead(500, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
        res.end('{"error":"internal error"}\n');
      } else {
        res.destroy();
      }
      options.log?.({
        method: req.method ?? '?',
        path: (req.url ?? '').split('?', 1)[0] ?? '',
        status: 500,
        bytes: 0,
      });
    },
  );
}

/** At most `perClient` open sockets per remote address, each given `FIRST_BYTE_TIMEOUT_MS` to start a request. */
function limitConnections(server: Server, perClient: number): void {
  const open = new Map<string, number>();
  server.on('connection', (socket) => {
    const who = socket.remoteAddress ?? '?';
    const n = (open.get(who) ?? 0) + 1;
    if (n > perClient) {
      socket.destroy();
      return;
    }
    open.set(who, n);
    // headersTimeout only runs once a request has begun: a socket that never sends a byte would
    // otherwise be held for ever. Node destroys it on 'timeout' (no server 'timeout' listener).
    socket.setTimeout(FIRST_BYTE_TIMEOUT_MS);
    socket.once('close', () => {
      const left = (open.get(who) ?? 1) - 1;
      if (left <= 0) open.delete(who);
      else open.set(who, left);
    });
  });
}

/** Creates (does not start) the server for a published directory. */
export function createBundleServer(root: string, options: BundleServerOptions = {}): Server {
  const ctx = serveContext(root, options);
  const server = createServer(
    {
      maxHeaderSize: 16 * 1024,
      requestTimeout: 15_000,
      headersTimeout: 5_000,
      keepAliveTimeout: 5_000,
      connectionsCheckingInterval: 1_000,
    },
    (req, res) => onRequest(ctx, req, res),
  );
  server.maxConnections = 1024;
  server.maxRequestsPerSocket = 1000;
  limitConnections(server, options.maxConnectionsPerClient ?? 64);
  // Held long-polls would keep close() waiting for up to maxWait: answer them first.
  const close = server.close.bind(server);
  server.close = (callback?: (err?: Error) => void) => {
    ctx.manifests.close();
    return close(callback);
  };
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
