/**
 * A real HTTP proxy in front of the offline model server that can refuse, fail or delay requests:
 * how the tests make rate limits, outages, poisoned documents and "a request in flight" happen.
 */
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Interception {
  status: number;
  headers?: Record<string, string>;
  body: unknown;
}

export interface ProxyOptions {
  /** Upstream base URL including /v1. */
  upstream: string;
  /** Decide per request (parsed JSON body): an interception, or undefined to forward. */
  intercept?: (body: { model?: string; input?: string[] }, count: number) => Interception | undefined;
  /** Delay before forwarding (ms). */
  delayMs?: number;
  /**
   * Hold every request after this many (not answered until `holdAfter` is raised): a client then
   * deterministically has requests in flight and cannot finish, however slow the machine is.
   */
  holdAfter?: number;
}

export interface Proxy {
  baseUrl: string;
  requests: number;
  /** Requests received and not yet answered. */
  inFlight: number;
  /** Requests being held (see `ProxyOptions.holdAfter`). */
  readonly held: number;
  /** Changes the hold threshold; held requests whose client is still connected go on when it allows. */
  setHoldAfter(n: number): void;
  close(): Promise<void>;
}

export async function startProxy(options: ProxyOptions): Promise<Proxy> {
  const upstream = new URL(options.upstream);
  const state = { requests: 0, inFlight: 0, holdAfter: options.holdAfter ?? Infinity };
  const held: Array<{ count: number; go: () => void }> = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    state.inFlight++;
    res.on('close', () => state.inFlight--);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const count = ++state.requests;
      let parsed: { model?: string; input?: string[] } = {};
      try {
        parsed = JSON.parse(raw.toString('utf8')) as typeof parsed;
      } catch {
        // forwarded as is
      }
      const hit = options.intercept?.(parsed, count);
      if (hit) {
        const text = JSON.stringify(hit.body);
        res.writeHead(hit.status, { 'content-type': 'application/json', ...hit.headers });
        res.end(text);
        return;
      }
      const forwardNow = () => {
        if (res.destroyed) return; // the client is gone (killed): nothing to answer
        const forward = request(
          {
            host: upstream.hostname,
            port: upstream.port,
            method: req.method,
            path: `${upstream.pathname.replace(/\/v1$/, '')}${req.url}`,
            headers: { ...req.headers, host: upstream.host },
          },
          (up) => {
            res.writeHead(up.statusCode ?? 502, up.headers);
            up.pipe(res);
          },
        );
        forward.on('error', () => {
          if (!res.headersSent) res.writeHead(502);
          res.end();
        });
        forward.end(raw);
      };
      const go = () => setTimeout(forwardNow, options.delayMs ?? 0);
      if (count > state.holdAfter) held.push({ count, go });
      else go();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    get requests() {
      return state.requests;
    },
    get inFlight() {
      return state.inFlight;
    },
    get held() {
      return held.length;
    },
    setHoldAfter(n: number) {
      state.holdAfter = n;
      for (const h of held.splice(0)) {
        if (h.count > n) held.push(h);
        else h.go();
      }
    },
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

/** An OpenAI-shaped error body. */
export function apiError(message: string, type: string, code: string): unknown {
  return { error: { message, type, param: null, code } };
}
