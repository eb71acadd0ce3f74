import { isSchemaName, quoteIdent, type SqlClient } from '../store/sql-client.ts';
import { SwitchyardError } from '@switchyard/runtime';

/** Default schema: the same one the event store uses, so one database holds both. */
export const DEFAULT_CONVERSATION_SCHEMA = 'switchyard';

/** A conversation-store problem with a stable code (`E_CONVERSATION_*`). */
export class ConversationError extends SwitchyardError {
  override name = 'ConversationError';
}

/** Throws `E_CONVERSATION_SCHEMA_NAME` for a schema name that is not a plain lower-case identifier. */
export function checkSchemaName(schema: string): void {
  if (!isSchemaName(schema)) {
    throw new ConversationError(
      'E_CONVERSATION_SCHEMA_NAME',
      `invalid schema name '${schema}' (use [a-z_][a-z0-9_]*, at most 63 characters)`,
    );
  }
}

/** The runner's checkpoint table (see migrateConversationStore). */
function progressTable(s: string): string {
  return `CREATE TABLE IF NOT EXISTS ${s}.conversation_migration_progress (
  migration text PRIMARY KEY,
  from_version integer NOT NULL,
  to_version integer NOT NULL,
  last_id text,
  scanned bigint NOT NULL DEFAULT 0,
  upgraded bigint NOT NULL DEFAULT 0,
  current bigint NOT NULL DEFAULT 0,
  failed bigint NOT NULL DEFAULT 0,
  retried bigint NOT NULL DEFAULT 0,
  status text NOT NULL DEFAULT 'running',
  started_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);`;
}

/**
 * Creates only the schema and the runner's checkpoint table (idempotent): what a run over an
 * application's own table (a SchemaMigration with `storage:`) needs from Switchyard's schema — the
 * checkpoints stay there, the records stay in the application's table.
 */
export async function migrateConversationCheckpoints(
  client: SqlClient,
  schema = DEFAULT_CONVERSATION_SCHEMA,
): Promise<void> {
  checkSchemaName(schema);
  const s = quoteIdent(schema);
  await client.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`switchyard-conversations:${schema}`]);
    await tx.exec(`CREATE SCHEMA IF NOT EXISTS ${s};
${progressTable(s)}`);
  });
}

/**
 * Creates the conversation tables when missing (idempotent; safe for several processes starting at
 * once: it runs under a transaction-scoped advisory lock).
 *
 * - `conversations`: the whole record as `jsonb` (so fields this code does not know survive), with
 *   the columns queries need copied out of it. `schema_version` is NULL when the record has no
 *   integer `schemaVersion` (a legacy record: the migration's `from` applies). `revision` is the
 *   optimistic-concurrency counter every conditional write checks.
 * - `conversation_migration_progress`: one checkpoint row per SchemaMigration run by the background
 *   runner (keyset position and counters), so a killed run resumes where it stopped. Its own name so
 *   it never meets the embedding runner's checkpoints.
 */
export async function migrateConversationStore(client: SqlClient, schema = DEFAULT_CONVERSATION_SCHEMA): Promise<void> {
  checkSchemaName(schema);
  const s = quoteIdent(schema);
  await client.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`switchyard-conversations:${schema}`]);
    await tx.exec(`CREATE SCHEMA IF NOT EXISTS ${s};
CREATE TABLE IF NOT EXISTS ${s}.conversations (
  id text PRIMARY KEY,
  user_id text,
  schema_version integer,
  model_version text,
  record jsonb NOT NULL,
  revision bigint NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS conversations_by_schema_version ON ${s}.conversations (schema_version, id);
CREATE INDEX IF NOT EXISTS conversations_by_user ON ${s}.conversations (user_id, id);
${progressTable(s)}`);
  });
}
