/**
 * Wiring: one SQL client shared by the event store, the conversation repository, the vector store
 * and the service's own table (PGlite allows one process and one connection); one runtime client
 * polling signed bundles and writing its events to the event store; the `openai` SDK for answers
 * and embeddings; the HTTP server. `startChatService` returns once the service listens;
 * `close()` shuts it down in order (stop taking requests, finish them and the shadows, flush the
 * events, close the runtime client and the database, then the in-process servers).
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import {
  migrationFromBundle,
  openConversationRepository,
  openSqlClient,
  openStore,
  openVectorStore,
  StoreError,
  type BatchedSink,
  type ConversationRepository,
  type EventStore,
  type SqlClient,
  type VectorStore,
} from '@switchyard/data';
import { createClient, type BundleChange, type SwitchyardClient } from '@switchyard/runtime';
import { openaiEmbedder } from './embedder.ts';
import { ServiceError } from './errors.ts';
import { createHttpServer, type Route } from './http.ts';
import { silentLogger, type Logger } from './logger.ts';
import { ModelGateway } from './model-gateway.ts';
import { createRetrieval, DEMO_RETRIEVAL, type RetrievalNames } from './rag.ts';
import { DEFAULT_SERVICE_SCHEMA, openResponseLog } from './responses.ts';
import { ChatService, DEMO_NAMES, type ServiceNames } from './service.ts';
import { ShadowRunner } from './shadow-runner.ts';

/**
 * A published bundle source (http(s) URL or directory) and the app's own trusted keys (JSON text).
 * The demo mode builds and serves one first (`examples/chat-service/demo/`), then passes it here.
 */
export type BundleOption = { kind: 'remote'; source: string; trustedKeys: string };

export type DatabaseOption =
  | { kind: 'pglite'; /** Data directory; in memory when null. */ dataDir: string | null }
  | { kind: 'postgres'; url: string };

/** Any OpenAI-compatible endpoint (OpenAI itself, or a running offline model server). */
export type ModelOption = { kind: 'endpoint'; baseUrl: string; apiKey: string };

/**
 * The API key Switchyard's offline model server is run with (`switchyard model-server`); never a
 * real key. With it the service reports `models.offline` and turns the SDK's retries off.
 */
export const OFFLINE_API_KEY = 'switchyard-offline';

export interface ChatServiceOptions {
  bundle: BundleOption;
  database: DatabaseOption;
  models: ModelOption;
  /** Bundle environment to load (default production). */
  env?: string;
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Runtime client poll interval (default 5 s). */
  pollIntervalMs?: number;
  /** Last-known-good cache of the runtime client (null: none). */
  cacheDir?: string | null;
  /** How long start-up waits for the first verified bundle (default 15 s). */
  readyTimeoutMs?: number;
  /** Schema of the event store, conversations and vectors (default `switchyard`, where `switchyard analyze` and `migrate` look). */
  schema?: string;
  /** Schema of the service's own table (default `chat_service`). */
  serviceSchema?: string;
  names?: ServiceNames;
  retrievalNames?: RetrievalNames;
  log?: Logger;
  /** Event sink batching (default: flush every 200 ms). */
  sinkFlushIntervalMs?: number;
  shadowMaxInFlight?: number;
  /** Most messages a conversation keeps (default 200); see `ServiceDeps.maxMessages`. */
  maxMessages?: number;
  /** Bundle swaps kept for `swaps()` (default 50; the count in /status covers all of them). */
  swapHistory?: number;
}

export interface ChatServiceHandle {
  url: string;
  port: number;
  runtime: SwitchyardClient;
  events: EventStore;
  sink: BatchedSink;
  conversations: ConversationRepository;
  vectors: VectorStore;
  shadows: ShadowRunner;
  models: ModelGateway;
  /** The most recent bundle swaps (at most `swapHistory`), oldest first. */
  swaps(): BundleChange[];
  /** How many bundle swaps were seen since start. */
  swapCount(): number;
  close(): Promise<void>;
}

/** The one database client, opened as every Switchyard command opens it (`openSqlClient`). */
async function openDatabase(option: DatabaseOption): Promise<SqlClient> {
  let client: SqlClient | undefined;
  try {
    client = await openSqlClient(
      option.kind === 'postgres'
        ? { backend: 'postgres', connectionString: option.url, poolSize: 8 }
        : { backend: 'pglite', dataDir: option.dataDir ?? undefined },
      { vector: true },
    );
    // A pool connects lazily: fail at start, not on the first request.
    if (option.kind === 'postgres') await client.query('SELECT 1');
    return client;
  } catch (error) {
    await client?.close().catch(() => {});
    if (error instanceof StoreError && error.code === 'E_STORE_LOCKED')
      throw new ServiceError('E_DB_LOCKED', `${error.message}; or use --in-memory`, { cause: error });
    throw new ServiceError('E_DB_OPEN', `cannot open the ${option.kind} database: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** Starts everything; throws a `ServiceError` (stable code, what to do) when it cannot. */
/** The conversation record version this service's code writes. */
export const CONVERSATION_SCHEMA_VERSION = 2;

export async function startChatService(options: ChatServiceOptions): Promise<ChatServiceHandle> {
  const log = options.log ?? silentLogger;
  const env = options.env ?? 'production';
  const schema = options.schema ?? 'switchyard';
  const cleanups: Array<() => Promise<void>> = [];
  const undo = async () => {
    for (const fn of cleanups.reverse()) await fn().catch(() => {});
  };

  try {
    const endpoint = {
      baseUrl: options.models.baseUrl.replace(/\/+$/, ''),
      apiKey: options.models.apiKey,
      offline: options.models.apiKey === OFFLINE_API_KEY,
    };

    // One database client for everything.
    const db = await openDatabase(options.database);
    cleanups.push(() => db.close());
    const events = await openStore({ backend: 'client', client: db, schema });
    const sink = events.createSink({
      flushIntervalMs: options.sinkFlushIntervalMs ?? 200,
      source: `chat-service-${process.pid}-${Date.now()}`,
    });
    cleanups.push(() => sink.close());

    const { source, trustedKeys } = options.bundle;
    let runtime: SwitchyardClient;
    try {
      runtime = createClient({
        source,
        env,
        trustedKeys,
        cacheDir: options.cacheDir ?? null,
        pollIntervalMs: options.pollIntervalMs ?? 5_000,
        sink,
      });
    } catch (error) {
      throw new ServiceError(
        (error as { code?: string }).code ?? 'E_CLIENT_OPTIONS',
        `runtime client: ${(error as Error).message}`,
        { cause: error },
      );
    }
    cleanups.push(() => runtime.close());
    // A long-running process swaps bundles for ever: keep a count and only the last few.
    const swapHistory = Math.max(1, options.swapHistory ?? 50);
    const swaps: BundleChange[] = [];
    let swapCount = 0;
    runtime.onChange((change) => {
      swapCount++;
      swaps.push(change);
      if (swaps.length > swapHistory) swaps.splice(0, swaps.length - swapHistory);
      log.info('config bundle swapped', {
        previousSerial: change.previousSerial,
        serial: change.serial,
        changed: change.changed,
      });
    });
    try {
      await runtime.ready(options.readyTimeoutMs ?? 15_000);
    } catch (error) {
      throw new ServiceError(
        (error as { code?: string }).code ?? 'E_NOT_READY',
        `no verified config bundle from ${source} (env ${env}): ${(error as Error).message}`,
        { cause: error },
      );
    }

    const names = options.names ?? DEMO_NAMES;
    const conversations = await openConversationRepository(db, {
      schema,
      migration: migrationFromBundle(runtime, names.schemaMigration),
      // The record shape this service writes (messages with model and timestamp, modelVersion): v2,
      // the `to` of conversation-schema-v2 — used once that finished plan is removed from the bundle.
      schemaVersion: CONVERSATION_SCHEMA_VERSION,
      // Lazy schema upgrades written on read become migration events (consented model switches are
      // emitted by the service itself, retired-snapshot moves by the runtime).
      onEvent: (event) => {
        if (event.migration !== 'schema') return;
        const s = runtime.status();
        sink.write({ ...event, serial: s.serial, env: s.env });
      },
    });
    const vectors = await openVectorStore(db, { schema });
    const embedder = openaiEmbedder({
      baseURL: endpoint.baseUrl,
      apiKey: endpoint.apiKey,
      maxRetries: endpoint.offline ? 0 : 2,
    });
    const responses = await openResponseLog(db, options.serviceSchema ?? DEFAULT_SERVICE_SCHEMA);
    const models = new ModelGateway(endpoint);
    const shadows = new ShadowRunner(models, runtime, log, { maxInFlight: options.shadowMaxInFlight });
    const retrieval = createRetrieval(runtime, vectors, embedder, options.retrievalNames ?? DEMO_RETRIEVAL);
    const service = new ChatService({
      runtime,
      sink,
      conversations,
      retrieval,
      responses,
      models,
      shadows,
      log,
      names,
      maxMessages: options.maxMessages,
    });
    const startedAt = Date.now();
    // Identifies this process's run in /status: a hot swap keeps it, a restart changes it.
    const instanceId = randomUUID();

    const status = () => {
      const s = runtime.status();
      return {
        ready: s.ready,
        env: s.env,
        bundle: {
          serial: s.serial,
          commit: s.commit,
          source: s.source,
          createdAt: s.createdAt,
          expiresAt: s.expiresAt,
          stale: s.stale,
          lastError: s.lastError,
          cacheError: s.cacheError,
          lastCheckAt: s.lastCheckAt,
          lastSuccessAt: s.lastSuccessAt,
          consecutiveFailures: s.consecutiveFailures,
          swaps: swapCount,
        },
        models: { offline: endpoint.offline, baseUrl: endpoint.baseUrl },
        database: { backend: db.backend },
        shadow: shadows.stats(),
        events: sink.stats(),
        instance: { id: instanceId, pid: process.pid, startedAt: new Date(startedAt).toISOString() },
        uptimeMs: Date.now() - startedAt,
      };
    };

    const id = '([^/]+)';
    const routes: Route[] = [
      {
        method: 'GET',
        pattern: /^\/healthz$/,
        handle: () => ({
          status: runtime.status().ready ? 200 : 503,
          body: { status: runtime.status().ready ? 'ok' : 'not-ready' },
        }),
      },
      { method: 'GET', pattern: /^\/status$/, handle: () => ({ body: status() }) },
      { method: 'POST', pattern: /^\/conversations$/, handle: (c) => service.createConversation(c.body) },
      {
        method: 'GET',
        pattern: new RegExp(`^/conversations/${id}$`),
        handle: (c) => service.getConversation(c.params[0]!),
      },
      {
        method: 'POST',
        pattern: new RegExp(`^/conversations/${id}/messages$`),
        handle: (c) => service.sendMessage(c.params[0]!, c.body),
      },
      {
        method: 'GET',
        pattern: new RegExp(`^/conversations/${id}/model-migration$`),
        handle: (c) => service.migrationOffer(c.params[0]!),
      },
      {
        method: 'POST',
        pattern: new RegExp(`^/conversations/${id}/model-migration$`),
        handle: (c) => service.migrateModel(c.params[0]!, c.body),
      },
      { method: 'POST', pattern: /^\/summaries$/, handle: (c) => service.summarize(c.body) },
      { method: 'POST', pattern: /^\/feedback$/, handle: (c) => service.feedback(c.body) },
      { method: 'POST', pattern: /^\/documents$/, handle: (c) => service.indexDocument(c.body) },
      { method: 'POST', pattern: /^\/search$/, handle: (c) => service.search(c.body) },
    ];
    const http = createHttpServer({ routes, log });
    const host = options.host ?? '127.0.0.1';
    const port = await new Promise<number>((resolve, reject) => {
      http.server.once('error', (error) =>
        reject(
          new ServiceError('E_LISTEN', `cannot listen on ${host}:${options.port ?? 0}: ${error.message}`, {
            cause: error,
          }),
        ),
      );
      http.server.listen(options.port ?? 0, host, () => {
        const a = http.server.address();
        resolve(typeof a === 'object' && a ? a.port : 0);
      });
    });
    const shownHost = host.includes(':') ? `[${host}]` : host;

    let closing: Promise<void> | null = null;
    const close = () => {
      closing ??= (async () => {
        await http.drain(10_000);
        // Shadows still running get a deadline: their results are evidence, not user-facing.
        await Promise.race([shadows.idle(), new Promise<void>((r) => setTimeout(r, 10_000).unref())]);
        await undo();
      })();
      return closing;
    };

    return {
      url: `http://${shownHost}:${port}`,
      port,
      runtime,
      events,
      sink,
      conversations,
      vectors,
      shadows,
      models,
      swaps: () => [...swaps],
      swapCount: () => swapCount,
      close,
    };
  } catch (error) {
    await undo();
    throw error;
  }
}

/** Default data directory of the embedded database under a project root. */
export function defaultDataDir(root: string): string {
  return join(root, '.switchyard', 'chat-service', 'db');
}
