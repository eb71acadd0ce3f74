/**
 * Test harness for the chat service end-to-end tests: a signing key generated at test time, the
 * repository's demo config compiled and signed into a directory served by the real bundle server,
 * the offline model server (optionally behind a proxy that holds or fails calls for one model), and
 * the chat service polling that server, all on 127.0.0.1. `publish(edit)` publishes the next serial
 * and waits until the service's runtime client has swapped to it.
 *
 * Deadlines: the files using it keep the e2e tier's test and hook timeouts (vitest.config.ts, 180 s;
 * docs/testing.md). Measured on the shared 2-core machine under load, `startHarness` alone took up
 * to ~40 s, so a shorter per-file deadline fails a test that was only slow, never one that hung.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  startChatService,
  type ChatServiceHandle,
  type ChatServiceOptions,
} from '../../examples/chat-service/src/app.ts';
import {
  BundlePublisher,
  editRollout,
  serveBundles,
  type BundleServer,
} from '../../examples/chat-service/demo/demo-bundle.ts';
import { REPO_ROOT } from '../../examples/chat-service/src/cli.ts';
import { waitFor } from '../helpers/wait-for.ts';
import type { Logger } from '../../examples/chat-service/src/logger.ts';
import { generateSigningKey, trustedKeysDocument } from '../../src/bundle/keys.ts';
import type { ModelRolloutResource, Project } from '../../src/config/types.ts';
import { OFFLINE_API_KEY } from '../../src/eval/endpoint.ts';
import { startModelServer, type ModelServer } from '../../src/eval/offline/server.ts';

export const ROLLOUT = 'chat-gpt-4o-2024-08-06';
export const OLD = 'gpt-4o-2024-05-13';
export const NEW = 'gpt-4o-2024-08-06';

export type Edit = (project: Project) => void;

/** The chat model rollout at `percent` (every environment), shadow sampling at `sampleRate`, optionally killed. */
export function rolloutAt(percent: number, options: { sampleRate?: number; killed?: boolean } = {}): Edit {
  return (project) => {
    const r = project.rollouts.get(ROLLOUT) as ModelRolloutResource;
    editRollout(project, ROLLOUT, {
      percent,
      killed: options.killed ?? false,
      shadow: { ...r.shadow, sampleRate: options.sampleRate ?? 0 },
    });
  };
}

export const both =
  (...edits: Edit[]): Edit =>
  (project) =>
    edits.forEach((e) => e(project));

/** A logger that keeps every line (what an operator's log would hold), for asserting what is logged vs sent. */
export function captureLog(): {
  log: Logger;
  lines: Array<{ level: string; message: string; fields: Record<string, unknown> }>;
} {
  const lines: Array<{ level: string; message: string; fields: Record<string, unknown> }> = [];
  const at =
    (level: string) =>
    (message: string, fields: Record<string, unknown> = {}) => {
      lines.push({ level, message, fields });
    };
  return { log: { info: at('info'), warn: at('warn'), error: at('error') }, lines };
}

export interface HttpResult<T = Record<string, unknown>> {
  status: number;
  body: T;
  text: string;
  /** ms from sending the request to the complete response (printed, never asserted). */
  ms: number;
}

/** One JSON request over real HTTP. */
export async function call<T = Record<string, unknown>>(
  base: string,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<HttpResult<T>> {
  const t0 = performance.now();
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = null;
  }
  return { status: res.status, body: parsed as T, text, ms: performance.now() - t0 };
}

/** Waits until `check` is truthy (test/helpers/wait-for.ts; re-exported for the chat-service tests). */
export { waitFor };

type ProxyRule = 'hold' | 'fail';

/**
 * An OpenAI-compatible proxy in front of the offline model server that can hold (until released)
 * or fail chat calls for chosen models: how the tests make the shadow candidate slow or broken on
 * purpose without timing anything.
 */
export interface ModelProxy {
  baseUrl: string;
  setRule(model: string, rule: ProxyRule | null): void;
  /** Chat calls currently held, per model. */
  held(model: string): number;
  /** Chat calls received per model (forwarded, held or failed). */
  received(model: string): number;
  /** Releases every held call (they are then forwarded). */
  release(model: string): void;
  close(): Promise<void>;
}

async function readAll(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export async function startModelProxy(target: ModelServer): Promise<ModelProxy> {
  const rules = new Map<string, ProxyRule>();
  const waiting = new Map<string, Array<() => void>>();
  const counts = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await readAll(req);
      let model = '';
      if (req.url?.endsWith('/chat/completions')) {
        try {
          model = String((JSON.parse(body.toString('utf8')) as { model?: unknown }).model ?? '');
        } catch {
          model = '';
        }
        counts.set(model, (counts.get(model) ?? 0) + 1);
      }
      const rule = model ? rules.get(model) : undefined;
      if (rule === 'fail') {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            error: {
              message: 'injected failure for the shadow test',
              type: 'server_error',
              code: 'server_error',
              param: null,
            },
          }),
        );
        return;
      }
      if (rule === 'hold') {
        await new Promise<void>((resolve) => {
          const list = waiting.get(model) ?? [];
          list.push(resolve);
          waiting.set(model, list);
        });
      }
      const upstream = await fetch(`${target.baseUrl.replace(/\/v1$/, '')}${req.url}`, {
        method: req.method,
        headers: { 'content-type': 'application/json' },
        body: req.method === 'POST' ? body : undefined,
      });
      const text = Buffer.from(await upstream.arrayBuffer());
      res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
      res.end(text);
    })().catch(() => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    setRule: (model, rule) => (rule === null ? rules.delete(model) : rules.set(model, rule)),
    held: (model) => waiting.get(model)?.length ?? 0,
    received: (model) => counts.get(model) ?? 0,
    release(model) {
      rules.delete(model);
      const list = waiting.get(model) ?? [];
      waiting.delete(model);
      for (const resolve of list) resolve();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const list of waiting.values()) for (const resolve of list) resolve();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export interface Harness {
  url: string;
  app: ChatServiceHandle;
  publisher: BundlePublisher;
  bundles: BundleServer;
  models: ModelServer;
  proxy: ModelProxy | null;
  /** Publishes the demo config after `edit` under the next serial; resolves once the service serves it. */
  publish(edit?: Edit): Promise<number>;
  get<T = Record<string, unknown>>(path: string): Promise<HttpResult<T>>;
  post<T = Record<string, unknown>>(path: string, body?: unknown): Promise<HttpResult<T>>;
  /** Waits for the event sink to write everything accepted so far. */
  flushEvents(): Promise<void>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** The first published state (default: the demo config as it is). */
  initial?: Edit;
  /** Put the hold/fail proxy between the service and the offline model server. */
  proxy?: boolean;
  env?: string;
  service?: Partial<ChatServiceOptions>;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'chat-service-e2e-'));
  // A key made for this test run; the service trusts exactly this key, from its own options.
  const key = generateSigningKey();
  const publisher = await BundlePublisher.open({ root: REPO_ROOT, dir: join(dir, 'published'), key });
  await publisher.publish(options.initial);
  const bundles = await serveBundles(join(dir, 'published'));
  const models = await startModelServer();
  const proxy = options.proxy ? await startModelProxy(models) : null;
  const app = await startChatService({
    bundle: {
      kind: 'remote',
      source: bundles.url,
      trustedKeys: trustedKeysDocument([{ key: key.publicKey, label: 'test' }]),
    },
    database: { kind: 'pglite', dataDir: null },
    models: { kind: 'endpoint', baseUrl: proxy?.baseUrl ?? models.baseUrl, apiKey: OFFLINE_API_KEY },
    env: options.env ?? 'production',
    pollIntervalMs: 100,
    sinkFlushIntervalMs: 50,
    ...options.service,
  });
  return {
    url: app.url,
    app,
    publisher,
    bundles,
    models,
    proxy,
    async publish(edit) {
      const { serial } = await publisher.publish(edit);
      await waitFor(`the service to serve serial ${serial}`, () => app.runtime.status().serial >= serial);
      return serial;
    },
    get: (path) => call(app.url, 'GET', path),
    post: (path, body) => call(app.url, 'POST', path, body ?? {}),
    flushEvents: () => app.sink.flush(),
    async close() {
      await app.close();
      await proxy?.close();
      await models.close();
      await bundles.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
