/**
 * What every repository step shares: the client, the SQL, the migration in force, the clock and the
 * event sink. Built once by `openConversationRepository`, handed to each step.
 */
import type { SqlClient } from '../store/sql-client.ts';
import type { ConversationRepositoryOptions } from './repository-api.ts';
import { checkConfiguredVersion } from './input-checks.ts';
import { resolveSource } from './migration-source.ts';
import type { ConversationSql } from './sql.ts';
import type { ConversationEvent, ConversationMigration } from './types.ts';

export const NUMBER_PRECISION_MESSAGE =
  'the record holds a number with more precision than a JavaScript double; rewriting it would change the value, so it is left as stored';

/** Conflicting writers retried before giving up (a hot conversation written by many requests at once). */
export const MAX_ATTEMPTS = 8;

export interface RepositoryContext {
  client: SqlClient;
  sql: ConversationSql;
  /** The migration in force right now (null when none). */
  migration: () => ConversationMigration | null;
  now: () => Date;
  /** Hands an event to `onEvent`; never throws. */
  emit: (event: ConversationEvent) => void;
  /** The `schemaVersion` option (checked). */
  configuredVersion: number | undefined;
  /** The migration's `to`, else the configured version, else null. */
  currentSchemaVersion: () => number | null;
}

export function repositoryContext(
  client: SqlClient,
  sql: ConversationSql,
  options: ConversationRepositoryOptions,
): RepositoryContext {
  const migration = resolveSource(options.migration);
  const configuredVersion = options.schemaVersion;
  checkConfiguredVersion(configuredVersion);
  return {
    client,
    sql,
    migration,
    now: options.now ?? (() => new Date()),
    emit: (event) => {
      try {
        options.onEvent?.(event);
      } catch {
        // telemetry never fails a conversation write
      }
    },
    configuredVersion,
    currentSchemaVersion: () => migration()?.to ?? configuredVersion ?? null,
  };
}
