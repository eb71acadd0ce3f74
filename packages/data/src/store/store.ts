import { join } from 'node:path';
import { BatchedSink, type BatchedSinkOptions } from './batched-sink.ts';
import { decisionStateStore, type DecisionStateStore } from './decision-state.ts';
import { insertEvents, type InsertReport, type StampedEvent } from './insert.ts';
import { openPgClient } from './pg-client.ts';
import { openPgliteClient, StoreLockedError } from './pglite-client.ts';
import { evidenceQueries, type EvidenceQueries } from './queries.ts';
import { migrateStore, type MigrationReport } from './schema.ts';
import { isSchemaName, type SqlClient } from './sql-client.ts';
import { SwitchyardError } from '@switchyard/runtime';

export const DEFAULT_STORE_SCHEMA = 'switchyard';

export type StoreOptions =
  | { backend: 'pglite'; /** Directory of the database; in memory when omitted. */ dataDir?: string; schema?: string }
  | { backend: 'postgres'; connectionString: string; schema?: string; poolSize?: number; writeQueryTimeoutMs?: number }
  /**
   * An already open client the application shares with its own tables (PGlite allows one process and
   * one connection, so an application opens one client for everything). `close()` leaves it open:
   * whoever opened the client closes it.
   */
  | { backend: 'client'; client: SqlClient; schema?: string };

/** A database the store opens itself: embedded PGlite or a PostgreSQL server. */
export type DatabaseOptions = Exclude<StoreOptions, { backend: 'client' }>;

/** The event store: one schema, the same queries on PGlite and PostgreSQL. */
export interface EventStore {
  readonly backend: 'pglite' | 'postgres';
  readonly schema: string;
  readonly migration: MigrationReport;
  readonly client: SqlClient;
  readonly queries: EvidenceQueries;
  /** Sequential decision state (running-minimum p-values, fixed mixing scales) between looks. */
  readonly decisionState: DecisionStateStore;
  /** Writes one batch in one transaction (idempotent per (source, seq)); invalid events are refused and counted. */
  writeBatch(batch: StampedEvent[]): Promise<InsertReport>;
  /** A batched, asynchronous `EventSink` writing into this store. */
  createSink(options?: Omit<BatchedSinkOptions, 'writeBatch'>): BatchedSink;
  close(): Promise<void>;
}

/**
 * Opens the database of a PGlite or PostgreSQL selection (no tables created). Throws a
 * `StoreError`: `E_STORE_LOCKED` when another process has the embedded database open,
 * `E_STORE_OPEN` otherwise. `vector` loads pgvector into PGlite.
 */
export async function openSqlClient(options: DatabaseOptions, extra: { vector?: boolean } = {}): Promise<SqlClient> {
  try {
    return options.backend === 'pglite'
      ? await openPgliteClient(options.dataDir, { vector: extra.vector === true })
      : openPgClient({
          connectionString: options.connectionString,
          max: options.poolSize ?? 4,
          writeQueryTimeoutMs: options.writeQueryTimeoutMs,
        });
  } catch (error) {
    if (error instanceof StoreLockedError)
      throw new StoreError(
        'E_STORE_LOCKED',
        `${error.message}; stop that process (e.g. the chat service) or use --database-url`,
        { cause: error },
      );
    throw new StoreError(
      'E_STORE_OPEN',
      `cannot open the ${options.backend === 'pglite' ? 'embedded' : 'PostgreSQL'} database: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/** Opens (and migrates) a store. Throws a `StoreError` with a stable code when it cannot. */
export async function openStore(options: StoreOptions): Promise<EventStore> {
  const schema = options.schema ?? DEFAULT_STORE_SCHEMA;
  if (!isSchemaName(schema))
    throw new StoreError('E_STORE_SCHEMA_NAME', `invalid store schema name '${schema}' (use [a-z_][a-z0-9_]*)`);
  const owned = options.backend !== 'client';
  const client = options.backend === 'client' ? options.client : await openSqlClient(options);
  let migration: MigrationReport;
  try {
    migration = await migrateStore(client, schema);
  } catch (error) {
    if (owned) await client.close().catch(() => {});
    throw new StoreError(
      'E_STORE_MIGRATE',
      `cannot prepare the ${options.backend} store: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const writeBatch = (batch: StampedEvent[]) => client.transaction((tx) => insertEvents(tx, schema, batch));
  return {
    backend: client.backend,
    schema,
    migration,
    client,
    queries: evidenceQueries(client, schema),
    decisionState: decisionStateStore(client, schema),
    writeBatch,
    createSink: (sinkOptions = {}) => new BatchedSink({ ...sinkOptions, writeBatch }),
    close: () => (owned ? client.close() : Promise.resolve()),
  };
}

/** A store problem with a stable code (`E_STORE_*`). */
export class StoreError extends SwitchyardError {
  override name = 'StoreError';
}

/** The embedded default: PGlite under the project's `.switchyard/data/events`. */
export function defaultStoreDir(projectRoot: string): string {
  return join(projectRoot, '.switchyard', 'data', 'events');
}

/** Which database a command uses, as given on its command line (each part optional). */
export interface DatabaseSelection {
  /** A postgres:// URL; default `SWITCHYARD_DATABASE_URL`. */
  databaseUrl?: string;
  /** The embedded PGlite directory; default `.switchyard/data/events` of the project. */
  dataDir?: string;
  /** PostgreSQL schema; default `SWITCHYARD_STORE_SCHEMA`, else `switchyard`. */
  schema?: string;
}

/**
 * Store options from a selection and the environment: a database URL (given, else
 * `SWITCHYARD_DATABASE_URL`) selects a server; otherwise the embedded PGlite database in `dataDir`
 * (default: the project's). The schema is the given one, else `SWITCHYARD_STORE_SCHEMA`, else
 * `switchyard`. Every command that opens the project's database resolves it here, so `analyze`,
 * `propose` and `migrate` always find the same data.
 */
export function storeOptionsFromEnv(
  projectRoot: string,
  env: NodeJS.ProcessEnv,
  selection: DatabaseSelection = {},
): DatabaseOptions {
  const url = selection.databaseUrl ?? env.SWITCHYARD_DATABASE_URL;
  const schema = selection.schema ?? (env.SWITCHYARD_STORE_SCHEMA || DEFAULT_STORE_SCHEMA);
  return url
    ? { backend: 'postgres', connectionString: url, schema }
    : { backend: 'pglite', dataDir: selection.dataDir ?? defaultStoreDir(projectRoot), schema };
}
