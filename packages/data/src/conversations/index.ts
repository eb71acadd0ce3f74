/**
 * Conversations: the record (pinned snapshot, per-message model, schema version), its repository on
 * PGlite or PostgreSQL, lazy schema upgrades on read, consented model switches. The background
 * migration runner is in `src/migrate/conversations/`.
 */
export {
  openConversationRepository,
  migrationFromBundle,
  type ConversationRepository,
  type ConversationRepositoryOptions,
  type CreateConversationInput,
  type MigrateModelInput,
  type MigrateModelResult,
  type NewMessage,
  type WriteOptions,
} from './repository.ts';
export {
  migrateConversationStore,
  migrateConversationCheckpoints,
  ConversationError,
  DEFAULT_CONVERSATION_SCHEMA,
  checkSchemaName,
} from './schema.ts';
export { conversationSql, columnsOf, type ConversationRow, type ConversationSql } from './sql.ts';
export type * from './types.ts';
export { switchyardTable, switchyardTableExists, type RecordTable, type TableRow } from './record-table.ts';
export * from './user-table/index.ts';
