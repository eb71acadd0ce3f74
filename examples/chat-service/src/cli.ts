/**
 * The command line: flags and environment → `ChatServiceOptions` (pure, `parseCliOptions`), then
 * start, print where it listens, and shut down gracefully on SIGINT/SIGTERM (`runCli`).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  defaultDataDir,
  OFFLINE_API_KEY,
  startChatService,
  type ChatServiceHandle,
  type ChatServiceOptions,
} from './app.ts';
import { ServiceError } from './errors.ts';
import { SwitchyardError } from '@switchyard/runtime';
import { jsonLogger } from './logger.ts';
import { DEMO_DOCUMENTS_FILE, seedDemoDocuments } from './demo-documents.ts';

/** The repository this example lives in: its demo config is what the service runs on by default. */
export const REPO_ROOT = resolve(import.meta.dirname, '..', '..', '..');

export const USAGE = `Usage: npm run chat-service -- [options]

Starts the reference chat service. With no options: the offline model server in-process, the
repository's demo config compiled, signed with an ephemeral key and served on 127.0.0.1, and an
embedded PGlite database in .switchyard/chat-service/db.

Options (environment variable in brackets):
  --port <n>               port to listen on, 0 for any free one (default 8787) [CHAT_SERVICE_PORT]
  --host <addr>            interface (default 127.0.0.1) [CHAT_SERVICE_HOST]
  --env <name>             bundle environment (default production) [SWITCHYARD_ENV]
  --bundle-url <url|dir>   published bundles to poll instead of the demo config [SWITCHYARD_BUNDLE_URL]
  --trusted-keys <file>    trusted-keys JSON pinned by this service (required with --bundle-url) [SWITCHYARD_TRUSTED_KEYS]
  --cache-dir <dir>        last-known-good bundle cache (default .switchyard/chat-service/runtime-cache with --bundle-url)
  --poll-ms <n>            bundle poll interval in ms (default 5000, demo 1000) [SWITCHYARD_POLL_MS]
  --database-url <url>     PostgreSQL instead of the embedded PGlite [SWITCHYARD_DATABASE_URL]
  --data-dir <dir>         PGlite data directory (default .switchyard/chat-service/db)
  --in-memory              PGlite in memory (nothing survives a restart)
  --schema <name>          schema of events, conversations and vectors (default switchyard) [SWITCHYARD_STORE_SCHEMA]
  --model-base-url <url>   OpenAI-compatible endpoint (default: OpenAI when OPENAI_API_KEY is set, else offline) [OPENAI_BASE_URL]
  --offline                use the in-process offline model server even when OPENAI_API_KEY is set [SWITCHYARD_OFFLINE=1]
  --root <dir>             project whose config the demo mode compiles (default: this repository)
  --ready-timeout-ms <n>   give up starting when no verified bundle arrives in time (default 15000)
  --no-demo-documents      demo mode: do not index the demo help-centre corpus into an empty database
  -h, --help               this text

Exit codes: 0 stopped cleanly, 1 could not start, 2 usage error.`;

/** A command line the service cannot run; runCli prints it with the usage text and exits 2. */
export class UsageError extends SwitchyardError {
  override name = 'UsageError';
  constructor(message: string) {
    super('E_USAGE', message);
  }
}

export interface CliIo {
  stdout(line: string): void;
  stderr(line: string): void;
}

/** Where the config comes from, before any file is read. */
export type CliBundle =
  { kind: 'remote-file'; source: string; trustedKeysFile: string } | { kind: 'demo-temp'; root: string };

/** Where answers come from: an endpoint, or the offline model server the demo kit starts. */
export type CliModels = ChatServiceOptions['models'] | { kind: 'offline' };

export interface CliOptions extends Omit<ChatServiceOptions, 'bundle' | 'models'> {
  bundle: CliBundle;
  models: CliModels;
  /** Demo mode: index the demo help-centre corpus when the document table is empty. */
  demoDocuments: boolean;
}

/** A running server the demo kit started; `close()` stops it. */
export interface DemoServer {
  url: string;
  close(): Promise<void>;
}

/**
 * What the demo mode needs that a production deployment gets elsewhere: the offline model server
 * (`switchyard model-server`) and bundles of a project signed with an ephemeral key and served on
 * 127.0.0.1 (`switchyard compile | sign | publish | serve`). The service itself only ever sees a
 * bundle URL with trusted keys and a model endpoint; this repository's kit is
 * `examples/chat-service/demo/kit.ts` (what `npm run chat-service` passes in).
 */
export interface DemoKit {
  startModelServer(): Promise<DemoServer>;
  serveBundles(root: string, publishDir: string): Promise<DemoServer & { trustedKeys: string }>;
}

/** Options from flags and environment. Pure: files (trusted keys) are read by `runCli`. */
export function parseCliOptions(
  argv: string[],
  env: NodeJS.ProcessEnv,
): { help: true } | { help: false; options: CliOptions } {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        env: { type: 'string' },
        'bundle-url': { type: 'string' },
        'trusted-keys': { type: 'string' },
        'cache-dir': { type: 'string' },
        'poll-ms': { type: 'string' },
        'database-url': { type: 'string' },
        'data-dir': { type: 'string' },
        'in-memory': { type: 'boolean' },
        schema: { type: 'string' },
        'model-base-url': { type: 'string' },
        offline: { type: 'boolean' },
        root: { type: 'string' },
        'ready-timeout-ms': { type: 'string' },
        'no-demo-documents': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return { help: true };
  const int = (text: string | undefined, name: string, fallback: number, min: number): number => {
    if (text === undefined || text === '') return fallback;
    const n = Number(text);
    if (!Number.isInteger(n) || n < min) throw new UsageError(`${name} must be an integer ≥ ${min}, got '${text}'`);
    return n;
  };
  const root = resolve(values.root ?? REPO_ROOT);
  const bundleUrl = values['bundle-url'] ?? env.SWITCHYARD_BUNDLE_URL;
  const keysFile = values['trusted-keys'] ?? env.SWITCHYARD_TRUSTED_KEYS;
  if (bundleUrl && !keysFile)
    throw new UsageError(
      '--bundle-url needs --trusted-keys <file>: the service trusts only keys from its own configuration',
    );
  if (!bundleUrl && values['trusted-keys']) throw new UsageError('--trusted-keys is only used with --bundle-url');
  const databaseUrl = values['database-url'] ?? env.SWITCHYARD_DATABASE_URL;
  if (databaseUrl && (values['in-memory'] || values['data-dir']))
    throw new UsageError('--database-url cannot be combined with --in-memory or --data-dir');
  if (values['in-memory'] && values['data-dir']) throw new UsageError('--in-memory and --data-dir exclude each other');

  const offline = values.offline === true || env.SWITCHYARD_OFFLINE === '1';
  const key = env.OPENAI_API_KEY;
  const baseUrl = values['model-base-url'] ?? env.OPENAI_BASE_URL;
  const models: CliModels = offline
    ? { kind: 'offline' }
    : values['model-base-url']
      ? { kind: 'endpoint', baseUrl: values['model-base-url'], apiKey: key || OFFLINE_API_KEY }
      : key && key !== OFFLINE_API_KEY
        ? { kind: 'endpoint', baseUrl: baseUrl ?? 'https://api.openai.com/v1', apiKey: key }
        : { kind: 'offline' };

  return {
    help: false,
    options: {
      bundle: bundleUrl
        ? { kind: 'remote-file', source: bundleUrl, trustedKeysFile: keysFile! }
        : { kind: 'demo-temp', root },
      database: databaseUrl
        ? { kind: 'postgres', url: databaseUrl }
        : { kind: 'pglite', dataDir: values['in-memory'] ? null : resolve(values['data-dir'] ?? defaultDataDir(root)) },
      models,
      env: values.env ?? env.SWITCHYARD_ENV ?? 'production',
      schema: values.schema ?? (env.SWITCHYARD_STORE_SCHEMA || 'switchyard'),
      host: values.host ?? env.CHAT_SERVICE_HOST ?? '127.0.0.1',
      port: int(values.port ?? env.CHAT_SERVICE_PORT, '--port', 8787, 0),
      pollIntervalMs: int(values['poll-ms'] ?? env.SWITCHYARD_POLL_MS, '--poll-ms', bundleUrl ? 5000 : 1000, 50),
      readyTimeoutMs: int(values['ready-timeout-ms'], '--ready-timeout-ms', 15_000, 1),
      demoDocuments: !bundleUrl && values['no-demo-documents'] !== true,
      cacheDir: bundleUrl
        ? resolve(values['cache-dir'] ?? join(root, '.switchyard', 'chat-service', 'runtime-cache'))
        : values['cache-dir']
          ? resolve(values['cache-dir'])
          : null,
    },
  };
}

/**
 * Runs the service until SIGINT/SIGTERM. Resolves with the exit code. `signals` is injectable so
 * tests can drive it in-process; without a `kit` only published bundles and a model endpoint work.
 */
export async function runCli(
  argv: string[],
  env: NodeJS.ProcessEnv,
  io: CliIo,
  signals: NodeJS.EventEmitter = process,
  kit?: DemoKit,
): Promise<number> {
  let parsed;
  try {
    parsed = parseCliOptions(argv, env);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`chat-service: ${error.code} ${error.message}\n\n${USAGE}`);
      return 2;
    }
    throw error;
  }
  if (parsed.help) {
    io.stdout(USAGE);
    return 0;
  }
  const { bundle, demoDocuments, models, ...rest } = parsed.options;
  // Servers the demo kit started, closed after the service (last started, first closed).
  const demo: DemoResources = { servers: [], publishDir: null };
  let handle: ChatServiceHandle;
  let modelsLabel: string;
  let config: string;
  try {
    if ((bundle.kind === 'demo-temp' || models.kind === 'offline') && !kit) {
      throw new ServiceError(
        'E_DEMO_UNAVAILABLE',
        'the demo config and the offline model server come from the Switchyard repository (`npm run chat-service`); pass --bundle-url with --trusted-keys and --model-base-url instead',
      );
    }
    const m = await resolveModels(models, kit, demo);
    modelsLabel = m.label;
    const b = await resolveBundle(bundle, kit, demo);
    config = b.label;
    handle = await startChatService({
      ...rest,
      bundle: b.bundle,
      models: m.models,
      log: jsonLogger((line) => io.stderr(line.trimEnd())),
    });
  } catch (error) {
    await stopDemo(demo);
    // Store, vector and conversation errors carry stable codes too (E_STORE_*, E_VECTOR_*, E_CONVERSATION_*).
    const code = error instanceof ServiceError ? error.code : (error as { code?: unknown }).code;
    io.stderr(
      `chat-service: ${typeof code === 'string' && code.startsWith('E_') ? code : 'E_START'} ${(error as Error).message}`,
    );
    return 1;
  }
  if (demoDocuments) await seedDemo(handle, io);
  printBanner(handle, rest.database, config, modelsLabel, io);
  return untilSignal(handle, demo, signals, io);
}

/** What the demo kit started for this run: its servers and the temporary publish directory. */
interface DemoResources {
  servers: DemoServer[];
  publishDir: string | null;
}

/** Close the demo servers (last started, first closed) and remove the publish directory. */
async function stopDemo(demo: DemoResources): Promise<void> {
  for (const server of demo.servers.reverse()) await server.close().catch(() => {});
  if (demo.publishDir) await rm(demo.publishDir, { recursive: true, force: true });
}

/** The model endpoint: the kit's offline model server, or the one given on the command line. */
async function resolveModels(
  models: CliModels,
  kit: DemoKit | undefined,
  demo: DemoResources,
): Promise<{ models: ChatServiceOptions['models']; label: string }> {
  if (models.kind === 'offline') {
    const server = await kit!.startModelServer();
    demo.servers.push(server);
    return {
      models: { kind: 'endpoint', baseUrl: server.url, apiKey: OFFLINE_API_KEY },
      label: `offline model server ${server.url}`,
    };
  }
  return { models, label: `models at ${models.baseUrl}` };
}

/** The bundle source: a remote one with its trusted keys file, or the demo config served by the kit. */
async function resolveBundle(
  bundle: CliBundle,
  kit: DemoKit | undefined,
  demo: DemoResources,
): Promise<{ bundle: ChatServiceOptions['bundle']; label: string }> {
  if (bundle.kind === 'remote-file') {
    let trustedKeys: string;
    try {
      trustedKeys = await readFile(bundle.trustedKeysFile, 'utf8');
    } catch (error) {
      throw new ServiceError(
        'E_TRUSTED_KEYS',
        `cannot read the trusted keys file ${bundle.trustedKeysFile}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    return { bundle: { kind: 'remote', source: bundle.source, trustedKeys }, label: `bundles from ${bundle.source}` };
  }
  // Ephemeral key, ephemeral bundles: nothing signed by this process outlives it.
  demo.publishDir = await mkdtemp(join(tmpdir(), 'chat-service-bundles-'));
  const server = await kit!.serveBundles(bundle.root, demo.publishDir);
  demo.servers.push(server);
  return {
    bundle: { kind: 'remote', source: server.url, trustedKeys: server.trustedKeys },
    label: `demo config (ephemeral key) served at ${server.url}`,
  };
}

/** Index the demo help-centre corpus into an empty database; a failure is reported, not fatal. */
async function seedDemo(handle: ChatServiceHandle, io: CliIo): Promise<void> {
  try {
    const seeded = await seedDemoDocuments(handle.url, await handle.vectors.countDocuments());
    if (seeded > 0) io.stdout(`chat-service: indexed ${seeded} demo help-centre documents (${DEMO_DOCUMENTS_FILE})`);
  } catch (error) {
    // The service is up; an empty corpus only makes answers say "I do not know".
    io.stderr(`chat-service: E_DEMO_DOCUMENTS ${(error as Error).message}`);
  }
}

/** Where the service listens and what it runs on. */
function printBanner(
  handle: ChatServiceHandle,
  database: CliOptions['database'],
  config: string,
  modelsLabel: string,
  io: CliIo,
): void {
  const s = handle.runtime.status();
  const db =
    database.kind === 'postgres'
      ? 'PostgreSQL'
      : database.dataDir
        ? `PGlite in ${database.dataDir}`
        : 'PGlite in memory';
  io.stdout(`chat-service listening on ${handle.url}`);
  io.stdout(`  config: ${config}, env ${s.env}, serial ${s.serial}; ${modelsLabel}; ${db}`);
  io.stdout('  try: curl -s ' + handle.url + '/status');
}

/** Serve until SIGINT or SIGTERM, then shut down: 0 when the shutdown completes, 1 when it fails. */
function untilSignal(
  handle: ChatServiceHandle,
  demo: DemoResources,
  signals: NodeJS.EventEmitter,
  io: CliIo,
): Promise<number> {
  return new Promise<number>((resolveExit) => {
    let stopping = false;
    const stop = (signal: string) => {
      // A terminal's Ctrl-C reaches every process of the group (npm, tsx, this one) and tsx relays it
      // too: the listener stays installed so a repeated signal cannot kill a shutdown half-way.
      if (stopping) return;
      stopping = true;
      io.stdout(`chat-service: ${signal} received, shutting down (finishing requests, flushing events)`);
      handle
        .close()
        .then(async () => {
          await stopDemo(demo);
          const stats = handle.sink.stats();
          io.stdout(`chat-service stopped (events written ${stats.written}, dropped ${stats.dropped})`);
          resolveExit(0);
        })
        .catch((error: unknown) => {
          io.stderr(`chat-service: E_SHUTDOWN ${(error as Error).message}`);
          resolveExit(1);
        });
    };
    signals.on('SIGINT', () => stop('SIGINT'));
    signals.on('SIGTERM', () => stop('SIGTERM'));
  });
}
