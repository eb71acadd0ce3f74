import { join } from 'node:path';
import { BatchedSink, type BatchedSinkOptions } from './batched-sink.ts';
import { insertEvents, type StampedEvent } from './insert.ts';
import { openPgClient } from './pg-client.ts';
import { openPgliteClient, StoreLockedError } from './pglite-client.ts';
import { evidenceQueries, type EvidenceQueries } from './queries.ts';
import { migrateStore, type MigrationReport } from './schema.ts';
import type { SqlClient } from './sql-client.ts';

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

/** The event store: one schema, the same queries on PGlite and PostgreSQL. */
export interface EventStore {
  readonly backend: 'pglite' | 'postgres';
  readonly schema: string;
  readonly migration: MigrationReport;
  readonly client: SqlClient;
  readonly queries: EvidenceQueries;
  /** Writes one batch in one transaction (idempotent per (source, seq)). */
  writeBatch(batch: StampedEvent[]): Promise<void>;
  /** A batched, asynchronous `EventSink` writing into this store. */
  createSink(options?: Omit<BatchedSinkOptions, 'writeBatch'>): BatchedSink;
  close(): Promise<void>;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Opens (and migrates) a store. Throws a `StoreError` with a stable code when it cannot. */
export async function openStore(options: StoreOptions): Promise<EventStore> {
  const schema = options.schema ?? DEFAULT_STORE_SCHEMA;
  if (!SCHEMA_NAME.test(schema)) throw new StoreError('E_STORE_SCHEMA_NAME', `invalid store schema name '${schema}' (use [a-z_][a-z0-9_]*)`);
  let client: SqlClient;
  const owned = options.backend !== 'client';
  try {
    client =
      options.backend === 'client'
        ? options.client
        : options.backend === 'pglite'
        ? await openPgliteClient(options.dataDir)
        : openPgClient({ connectionString: options.connectionString, max: options.poolSize ?? 4, writeQueryTimeoutMs: options.writeQueryTimeoutMs });
  } catch (error) {
    if (error instanceof StoreLockedError) throw new StoreError('E_STORE_LOCKED', error.message);
    throw new StoreError('E_STORE_OPEN', `cannot open the ${options.backend} store: ${(error as Error).message}`);
  }
  let migration: MigrationReport;
  try {
    migration = await migrateStore(client, schema);
  } catch (error) {
    if (owned) await client.close().catch(() => {});
    throw new StoreError('E_STORE_MIGRATE', `cannot prepare the ${options.backend} store: ${(error as Error).message}`);
  }
  const writeBatch = (batch: StampedEvent[]) => client.transaction((tx) => insertEvents(tx, schema, batch));
  return {
    backend: client.backend,
    schema,
    migration,
    client,
    queries: evidenceQueries(client, schema),
    writeBatch,
    createSink: (sinkOptions = {}) => new BatchedSink({ ...sinkOptions, writeBatch }),
    close: () => (owned ? client.close() : Promise.resolve()),
  };
}

/** A store problem with a stable code (`E_STORE_*`). */
export class StoreError extends Error {
  override name = 'StoreError';
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

/** The embedded default: PGlite under the project's `.switchyard/data/events`. */
export function defaultStoreDir(projectRoot: string): string {
  return join(projectRoot, '.switchyard', 'data', 'events');
}

/**
 * Store options from the environment: `SWITCHYARD_DATABASE_URL` (a postgres:// URL) selects a
 * server; otherwise the embedded PGlite database of the project. `SWITCHYARD_STORE_SCHEMA` overrides
 * the schema name.
 */
export function storeOptionsFromEnv(projectRoot: string, env: NodeJS.ProcessEnv, databaseUrl?: string): StoreOptions {
  const url = databaseUrl ?? env.SWITCHYARD_DATABASE_URL;
  const schema = env.SWITCHYARD_STORE_SCHEMA || DEFAULT_STORE_SCHEMA;
  return url ? { backend: 'postgres', connectionString: url, schema } : { backend: 'pglite', dataDir: defaultStoreDir(projectRoot), schema };
}
