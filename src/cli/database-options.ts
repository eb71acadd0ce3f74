import { resolve } from 'node:path';
import { openStore, StoreError, storeOptionsFromEnv, type DatabaseSelection, type EventStore } from '@switchyard/data';
import { UsageError, type CommandIo } from './command.ts';
import { isSchemaName } from '@switchyard/data';

/**
 * The database options every command that opens the project's database takes (`analyze`,
 * `propose`, `migrate embeddings`, `migrate conversations`), so they read and write the same data.
 */
export const DATABASE_OPTIONS = {
  'database-url': { type: 'string' },
  'data-dir': { type: 'string' },
  schema: { type: 'string' },
} as const;

/** Usage lines for {@link DATABASE_OPTIONS}. */
export const DATABASE_USAGE = `  --database-url <url>   PostgreSQL (default: $SWITCHYARD_DATABASE_URL, else the embedded PGlite
                         database in .switchyard/data/events, one process at a time)
  --data-dir <dir>       embedded PGlite directory instead of the default (e.g. the chat service's
                         .switchyard/chat-service/db, while the service is stopped)
  --schema <name>        database schema (default: $SWITCHYARD_STORE_SCHEMA, else switchyard)`;

/** The selection from parsed options; a usage error for contradictions and bad names. */
export function databaseSelection(
  values: { 'database-url'?: string; 'data-dir'?: string; schema?: string },
  io: CommandIo,
): DatabaseSelection {
  const url = values['database-url'] ?? io.env.SWITCHYARD_DATABASE_URL;
  if (url && values['data-dir'] !== undefined) {
    throw new UsageError(
      `--data-dir is for the embedded database; it cannot be combined with a database URL (${values['database-url'] !== undefined ? '--database-url' : 'SWITCHYARD_DATABASE_URL'})`,
    );
  }
  if (values.schema !== undefined && !isSchemaName(values.schema))
    throw new UsageError(`--schema '${values.schema}' is not a valid schema name (use [a-z_][a-z0-9_]*)`);
  const selection: DatabaseSelection = {};
  if (values['database-url'] !== undefined) selection.databaseUrl = values['database-url'];
  if (values['data-dir'] !== undefined) selection.dataDir = resolve(io.cwd, values['data-dir']);
  if (values.schema !== undefined) selection.schema = values.schema;
  return selection;
}

/**
 * Opens the project's event store for `command`, or prints why it cannot (`switchyard <command>:
 * E_… message`) and returns null, so a command exits 1 without a stack trace.
 */
export async function openStoreFor(
  command: string,
  root: string,
  database: DatabaseSelection,
  io: CommandIo,
): Promise<EventStore | null> {
  try {
    return await openStore(storeOptionsFromEnv(root, io.env, database));
  } catch (error) {
    io.stderr(
      `switchyard ${command}: ${error instanceof StoreError ? error.code : 'E_STORE_OPEN'} ${(error as Error).message}`,
    );
    return null;
  }
}
