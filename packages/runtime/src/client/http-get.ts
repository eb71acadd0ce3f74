/**
 * One GET over node:http/https with everything a poller needs to survive a hostile or broken
 * server: a conditional request (If-None-Match), a hard deadline for the whole exchange (so a
 * slow-trickling body cannot hold the poller), a byte cap checked both against Content-Length and
 * while streaming, and detection of bodies cut short. Never throws; resolves exactly once.
 */
import http from 'node:http';
import https from 'node:https';
import { ClientCode } from './codes.ts';
import type { Failure } from './codes.ts';

export interface HttpGetOptions {
  etag?: string | null;
  maxBytes: number;
  /** Deadline for the whole exchange; a long-poll adds its wait to it. */
  timeoutMs: number;
  /** Long-poll: ask the server to hold a 304 for up to this many seconds (`Prefer: wait=<s>`, RFC 7240). */
  waitSeconds?: number;
  /** Ends the request at once (the client closing while a long-poll is held). */
  signal?: AbortSignal;
}

/** Response header by which `switchyard serve` offers long-poll (the longest wait it honours, seconds). */
export const LONG_POLL_HEADER = 'switchyard-long-poll';

export type HttpGetResult =
  | { ok: true; status: 200; body: Buffer; etag: string | null; longPoll: number }
  | { ok: true; status: 304; body: null; etag: string | null; longPoll: number }
  | Failure;

/** The long-poll wait a response offers, in seconds (0: none, e.g. any static host or CDN). */
function offeredWait(header: string | string[] | undefined): number {
  const n = typeof header === 'string' && /^\d{1,4}$/.test(header.trim()) ? Number(header.trim()) : 0;
  return n;
}

export function httpGet(url: URL, options: HttpGetOptions): Promise<HttpGetResult> {
  return new Promise((resolve) => {
    let settled = false;
    let gotHeaders = false;
    let req: http.ClientRequest | null = null;
    const settle = (result: HttpGetResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      req?.destroy();
      resolve(result);
    };
    const fail = (code: string, message: string): void =>
      settle({ ok: false, code, message: `${url.href}: ${message}` });
    const onAbort = (): void => fail(ClientCode.FETCH_CONNECTION, 'aborted (client closed)');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(
      () => {
        if (gotHeaders) fail(ClientCode.FETCH_BODY_TIMEOUT, `body not complete after ${options.timeoutMs} ms`);
        else fail(ClientCode.FETCH_TIMEOUT, `no response after ${options.timeoutMs} ms`);
      },
      options.timeoutMs + (options.waitSeconds ?? 0) * 1000,
    );
    try {
      const headers: Record<string, string> = { accept: 'application/json', connection: 'close' };
      if (options.etag) headers['if-none-match'] = options.etag;
      if (options.etag && options.waitSeconds) headers.prefer = `wait=${options.waitSeconds}`;
      const mod = url.protocol === 'https:' ? https : http;
      req = mod.request(url, { method: 'GET', headers, agent: false }, (res) => {
        gotHeaders = true;
        const status = res.statusCode ?? 0;
        const etagHeader = res.headers.etag;
        const etag = typeof etagHeader === 'string' ? etagHeader : null;
        const longPoll = offeredWait(res.headers[LONG_POLL_HEADER]);
        if (status === 304) {
          res.resume();
          settle({ ok: true, status: 304, body: null, etag: etag ?? options.etag ?? null, longPoll });
          return;
        }
        if (status !== 200) {
          res.resume();
          fail(ClientCode.FETCH_STATUS, `HTTP ${status}`);
          return;
        }
        // Never asked for (no Accept-Encoding): decoding it would be trusting a size the cap never saw.
        const encoding = res.headers['content-encoding'];
        if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
          res.resume();
          fail(
            ClientCode.FETCH_ENCODING,
            `Content-Encoding ${encoding} refused (the body is read as sent, uncompressed)`,
          );
          return;
        }
        const lengthHeader = res.headers['content-length'];
        const announced = lengthHeader === undefined ? -1 : Number(lengthHeader);
        if (announced > options.maxBytes) {
          fail(ClientCode.FETCH_TOO_LARGE, `Content-Length ${announced} exceeds the cap of ${options.maxBytes} bytes`);
          return;
        }
        const chunks: Buffer[] = [];
        let total = 0;
        res.on('data', (chunk: Buffer) => {
          total += chunk.length;
          if (total > options.maxBytes) {
            fail(ClientCode.FETCH_TOO_LARGE, `body exceeds the cap of ${options.maxBytes} bytes`);
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => {
          if (announced >= 0 && total !== announced) {
            fail(ClientCode.FETCH_TRUNCATED, `body is ${total} bytes, Content-Length said ${announced}`);
            return;
          }
          settle({ ok: true, status: 200, body: Buffer.concat(chunks, total), etag, longPoll });
        });
        res.on('error', (e) =>
          fail(ClientCode.FETCH_TRUNCATED, `connection lost mid-body after ${total} bytes (${e.message})`),
        );
        res.on('close', () => {
          if (!res.complete) fail(ClientCode.FETCH_TRUNCATED, `connection closed mid-body after ${total} bytes`);
        });
      });
      req.on('error', (e: NodeJS.ErrnoException) => {
        if (gotHeaders) fail(ClientCode.FETCH_TRUNCATED, `connection lost mid-body (${e.message})`);
        else fail(ClientCode.FETCH_CONNECTION, `${e.code ?? 'error'}: ${e.message}`);
      });
      req.end();
      if (options.signal?.aborted) onAbort();
    } catch (e) {
      fail(ClientCode.FETCH_CONNECTION, e instanceof Error ? e.message : String(e));
    }
  });
}
