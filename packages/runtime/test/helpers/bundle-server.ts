/**
 * A real HTTP server on 127.0.0.1 that serves a publish target (`/<env>/manifest.json`,
 * `/<env>/payload/<sha>.json`) with strong ETags, and can misbehave on demand for fault injection.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createHash } from 'node:crypto';
import type { TestBundle } from './bundles.ts';

export type Fault =
  | { kind: 'status'; status: number }
  | { kind: 'hang' }
  | { kind: 'trickle'; intervalMs: number }
  | { kind: 'truncate' }
  | { kind: 'body'; body: Uint8Array }
  | { kind: 'missing' };

export interface BundleServer {
  url: string;
  port: number;
  /** Requests seen, as `METHOD path if-none-match`. */
  log: string[];
  publish(bundle: TestBundle, env?: string): void;
  /** Sets a raw manifest body (e.g. garbage) without a payload. */
  setManifest(bytes: Uint8Array, env?: string): void;
  faults: { manifest?: Fault; payload?: Fault };
  close(): Promise<void>;
}

export async function startBundleServer(port = 0): Promise<BundleServer> {
  const manifests = new Map<string, Uint8Array>();
  const payloads = new Map<string, Uint8Array>();
  const sockets = new Set<Socket>();
  const timers = new Set<ReturnType<typeof setInterval>>();
  const state: BundleServer = {
    url: '',
    port: 0,
    log: [],
    faults: {},
    publish(bundle, env = 'production') {
      payloads.set(bundle.sha256, bundle.payloadBytes);
      manifests.set(env, bundle.manifestBytes);
    },
    setManifest(bytes, env = 'production') {
      manifests.set(env, bytes);
    },
    async close() {
      for (const t of timers) clearInterval(t);
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  function send(
    req: IncomingMessage,
    res: ServerResponse,
    body: Uint8Array | undefined,
    fault: Fault | undefined,
  ): void {
    if (fault?.kind === 'hang') return;
    if (fault?.kind === 'status') {
      res.writeHead(fault.status, { 'content-type': 'text/plain' }).end('injected failure');
      return;
    }
    if (fault?.kind === 'missing' || body === undefined) {
      res.writeHead(404).end('not found');
      return;
    }
    if (fault?.kind === 'body') body = fault.body;
    const etag = `"${createHash('sha256').update(body).digest('hex')}"`;
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, { etag }).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.byteLength, etag });
    if (fault?.kind === 'truncate') {
      res.write(body.subarray(0, Math.floor(body.byteLength / 2)), () => req.socket.destroy());
      return;
    }
    if (fault?.kind === 'trickle') {
      let i = 0;
      const bytes = body;
      const t = setInterval(() => {
        if (i >= bytes.byteLength || res.destroyed) {
          clearInterval(t);
          timers.delete(t);
          if (!res.destroyed) res.end();
          return;
        }
        res.write(bytes.subarray(i, i + 1));
        i++;
      }, fault.intervalMs);
      timers.add(t);
      return;
    }
    res.end(body);
  }

  const server: Server = createServer((req, res) => {
    state.log.push(`${req.method} ${req.url} ${req.headers['if-none-match'] ?? '-'}`);
    const m = /^\/([a-z0-9_-]+)\/(manifest\.json|payload\/([0-9a-f]{64})\.json)$/.exec(req.url ?? '');
    if (m === null) {
      res.writeHead(404).end();
      return;
    }
    if (m[2] === 'manifest.json') send(req, res, manifests.get(m[1] as string), state.faults.manifest);
    else send(req, res, payloads.get(m[3] as string), state.faults.payload);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  state.port = (server.address() as AddressInfo).port;
  state.url = `http://127.0.0.1:${state.port}`;
  return state;
}
