/**
 * @switchyard/data — the data layer an application shares with Switchyard's CLI: one SQL client over
 * embedded PGlite or PostgreSQL, the event store (an `EventSink` for the runtime client and the
 * evidence queries `switchyard analyze` runs), vector stores with phase-routed reads and writes, and
 * the conversation repository (pinned snapshots, lazy schema upgrades, consented model switches).
 * Depends on `@switchyard/runtime` and the database drivers only. See docs/evidence.md,
 * docs/embedding-migration.md and docs/guides/conversation-migration.md.
 */

// SQL clients: one interface over PGlite and `pg`.
export { quoteIdent, isSchemaName, type SqlClient, type SqlExecutor } from './store/sql-client.ts';
export { openPgClient, type PgClientOptions } from './store/pg-client.ts';
export { openPgliteClient, StoreLockedError, type PgliteClientOptions } from './store/pglite-client.ts';
export { applySchemaMigrations, type SchemaMigrationStep } from './store/schema-migrations.ts';

// Event store.
export * from './store/index.ts';
export type * from './store/events.ts';

// Vector stores.
export * from './vectors/index.ts';

// Conversations.
export * from './conversations/index.ts';
