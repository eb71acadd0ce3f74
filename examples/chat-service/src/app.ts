/**
 * Wiring: one SQL client shared by the event store, the conversation repository, the vector store
 * and the service's own table (PGlite allows one process and one connection); one runtime client
 * polling signed bundles and writing its events to the event store; the `openai` SDK for answers
 * and embeddings; the HTTP server. `startChatService` returns once the service listens;
 * `close()` shuts it down in order (stop taking requests, finish them and the shadows, flush the
 * events, close the runtime client and the database, then the in-process servers).
 */
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
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
import { createHttpServer } from './http.ts';
import { silentLogger, type Logger } from './logger.ts';
import { ModelGateway } from './model-gateway.ts';
import { createRetrieval, DEMO_RETRIEVAL, type RetrievalNames } from './rag.ts';
import { DEFAULT_SERVICE_SCHEMA, openResponseLog } from './responses.ts';
import { ChatService, DEMO_NAMES, type ServiceNames } from './service.ts';
import { chatRoutes } from './routes.ts';
import { serviceStatus } from './service-status.ts';
import { ShadowRunner } from './shadow-runner.ts';
import { recordSwaps } from './swap-history.ts';

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

/** The conversation record version this service's code writes. */
export const CONVERSATION_SCHEMA_VERSION = 2;

/** The model endpoint as the gateway and embedder take it: no trailing slash, offline when given the offline key. */
function modelEndpoint(models: ModelOption): ModelEndpoint {
  return {
    baseUrl: models.baseUrl.replace(/\/+$/, ''),
    apiKey: models.apiKey,
    offline: models.apiKey === OFFLINE_API_KEY,
  };
}
type ModelEndpoint = { baseUrl: string; apiKey: string; offline: boolean };

/** The runtime client over the configured bundle source, writing its events to `sink`. */
function openRuntime(options: ChatServiceOptions, env: string, sink: BatchedSink): SwitchyardClient {
  const { source, trustedKeys } = options.bundle;
  try {
    return createClient({
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
}

/** Start-up waits for the first verified bundle: the service never answers without one. */
async function waitForBundle(runtime: SwitchyardClient, options: ChatServiceOptions, env: string): Promise<void> {
  try {
    await runtime.ready(options.readyTimeoutMs ?? 15_000);
  } catch (error) {
    throw new ServiceError(
      (error as { code?: string }).code ?? 'E_NOT_READY',
      `no verified config bundle from ${options.bundle.source} (env ${env}): ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/** What the chat service is built from, over the shared database client and the runtime client. */
interface ServiceParts {
  conversations: ConversationRepository;
  vectors: VectorStore;
  models: ModelGateway;
  shadows: ShadowRunner;
  service: ChatService;
}

/** Opens the conversation repository, vector store and response log, and builds the chat service on them. */
async function openServiceParts(
  db: SqlClient,
  runtime: SwitchyardClient,
  sink: BatchedSink,
  endpoint: ModelEndpoint,
  options: ChatServiceOptions,
  log: Logger,
): Promise<ServiceParts> {
  const schema = options.schema ?? 'switchyard';
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
  return { conversations, vectors, models, shadows, service };
}

/** Listens on `host:port` (0: a free port); resolves with the port, rejects with `E_LISTEN`. */
function listen(server: Server, host: string, port: number | undefined): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.once('error', (error) =>
      reject(
        new ServiceError('E_LISTEN', `cannot listen on ${host}:${port ?? 0}: ${error.message}`, {
          cause: error,
        }),
      ),
    );
    server.listen(port ?? 0, host, () => {
      const a = server.address();
      resolve(typeof a === 'object' && a ? a.port : 0);
    });
  });
}

/** Starts everything; throws a `ServiceError` (stable code, what to do) when it cannot. */
export async function startChatService(options: ChatServiceOptions): Promise<ChatServiceHandle> {
  const log = options.log ?? silentLogger;
  const env = options.env ?? 'production';
  const schema = options.schema ?? 'switchyard';
  const cleanups: Array<() => Promise<void>> = [];
  const undo = async () => {
    for (const fn of cleanups.reverse()) await fn().catch(() => {});
  };

  try {
    const endpoint = modelEndpoint(options.models);

    // One database client for everything.
    const db = await openDatabase(options.database);
    cleanups.push(() => db.close());
    const events = await openStore({ backend: 'client', client: db, schema });
    const sink = events.createSink({
      flushIntervalMs: options.sinkFlushIntervalMs ?? 200,
      source: `chat-service-${process.pid}-${Date.now()}`,
    });
    cleanups.push(() => sink.close());

    const runtime = openRuntime(options, env, sink);
    cleanups.push(() => runtime.close());
    const swaps = recordSwaps(runtime, options.swapHistory ?? 50, log);
    await waitForBundle(runtime, options, env);

    const { conversations, vectors, models, shadows, service } = await openServiceParts(
      db,
      runtime,
      sink,
      endpoint,
      options,
      log,
    );
    const startedAt = Date.now();
    // Identifies this process's run in /status: a hot swap keeps it, a restart changes it.
    const instanceId = randomUUID();
    const status = () => serviceStatus({ runtime, endpoint, db, shadows, sink, swaps, instanceId, startedAt });

    const http = createHttpServer({ routes: chatRoutes(runtime, service, status), log });
    const host = options.host ?? '127.0.0.1';
    const port = await listen(http.server, host, options.port);
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
      swaps: () => swaps.recent(),
      swapCount: () => swaps.count(),
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
