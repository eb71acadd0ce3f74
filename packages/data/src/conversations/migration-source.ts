/**
 * Where the repository finds the SchemaMigration in force: a fixed value, or a function read on
 * every call so a hot-swapped bundle takes effect without reopening the repository.
 */
import type { SwitchyardClient } from '@switchyard/runtime';
import type { ConversationMigration, MigrationSource } from './types.ts';

/**
 * A migration source reading the runtime's current decision table (a `SwitchyardClient` or an
 * `Engine`): the SchemaMigration `id` of whatever bundle is live at the time of each call.
 */
export function migrationFromBundle(
  source: Pick<SwitchyardClient, 'definition'>,
  id: string,
): () => ConversationMigration | null {
  return () => source.definition('schemaMigrations', id);
}

/** The source as a function that never throws (null: no migration in force). */
export function resolveSource(source: MigrationSource | undefined): () => ConversationMigration | null {
  if (typeof source === 'function') {
    return () => {
      try {
        return source() ?? null;
      } catch {
        return null; // a broken source must not break reads: records are then served as stored
      }
    };
  }
  const fixed = source ?? null;
  return () => fixed;
}
