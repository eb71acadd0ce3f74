/**
 * The conversation repository: conversations stored in PostgreSQL (PGlite embedded or a server
 * through `pg`, the same SQL), pinned to their model snapshot, upgraded lazily on read to the
 * current schema version, written with optimistic concurrency, and moved to another model only by
 * a deliberate, consented call that leaves an audit trail.
 *
 * This file composes the steps, one concept per file: repository-context.ts (what they share),
 * read-upgrade.ts (the lazy upgrade on read), modify.ts (conditional writes), create-record.ts,
 * model-switch.ts, input-checks.ts.
 */
import type { SqlClient } from '../store/sql-client.ts';
import { createConversation } from './create-record.ts';
import { checkId, checkLimit, isObject, normalizeMessages } from './input-checks.ts';
import { modifyRecord } from './modify.ts';
import { switchModel } from './model-switch.ts';
import { pageOf, readUpgrading } from './read-upgrade.ts';
import type { ConversationRepository, ConversationRepositoryOptions } from './repository-api.ts';
import { repositoryContext, type RepositoryContext } from './repository-context.ts';
import { ConversationError, DEFAULT_CONVERSATION_SCHEMA, checkSchemaName, migrateConversationStore } from './schema.ts';
import { conversationSql, toRow, type RawRow } from './sql.ts';

export type {
  ConversationRepository,
  ConversationRepositoryOptions,
  CreateConversationInput,
  MigrateModelInput,
  MigrateModelResult,
  NewMessage,
  WriteOptions,
} from './repository-api.ts';
export { migrationFromBundle } from './migration-source.ts';

/** Checks the records and inserts them in chunks of 1000, as they are. */
async function importAll(ctx: RepositoryContext, records: unknown[]): Promise<number> {
  if (!Array.isArray(records)) throw new ConversationError('E_CONVERSATION_INVALID', 'importRecords needs an array');
  const items = records.map((r, i) => {
    const id = isObject(r) ? r.id : undefined;
    if (typeof id !== 'string' || id === '')
      throw new ConversationError('E_CONVERSATION_INVALID', `records[${i}] has no string id`);
    return { id, record: r };
  });
  let inserted = 0;
  for (let i = 0; i < items.length; i += 1000)
    inserted += await ctx.sql.insertMany(ctx.client, items.slice(i, i + 1000));
  return inserted;
}

async function countByVersion(ctx: RepositoryContext): Promise<Array<{ schemaVersion: number | null; count: number }>> {
  const rows = await ctx.client.query<{ schema_version: number | null; n: number | string }>(
    `SELECT schema_version, count(*) AS n FROM ${ctx.sql.table} GROUP BY schema_version ORDER BY schema_version NULLS FIRST`,
  );
  return rows.map((r) => ({
    schemaVersion: r.schema_version === null ? null : Number(r.schema_version),
    count: Number(r.n),
  }));
}

/** Opens the repository (creating its tables unless `skipSchemaSetup`). */
export async function openConversationRepository(
  client: SqlClient,
  options: ConversationRepositoryOptions = {},
): Promise<ConversationRepository> {
  const schema = options.schema ?? DEFAULT_CONVERSATION_SCHEMA;
  checkSchemaName(schema);
  if (!options.skipSchemaSetup) await migrateConversationStore(client, schema);
  const ctx = repositoryContext(client, conversationSql(schema), options);
  return {
    schema,
    currentMigration: ctx.migration,
    currentSchemaVersion: ctx.currentSchemaVersion,
    create: (input) => createConversation(ctx, input),
    get: async (id) => (await readUpgrading(ctx, id))?.conversation ?? null,
    async appendMessages(id, messages, options = {}) {
      const { conversation } = await modifyRecord(ctx, id, options, (record) => {
        const model = typeof record.modelVersion === 'string' ? record.modelVersion : '';
        const added = normalizeMessages(messages, model, ctx.now().toISOString());
        const before = Array.isArray(record.messages) ? record.messages : [];
        return { ...record, messages: [...before, ...added] };
      });
      return conversation;
    },
    migrateModel: (id, input) => switchModel(ctx, id, input),
    async scan(options = {}) {
      const limit = checkLimit(options.limit);
      return pageOf(ctx, await ctx.sql.page(client, options.after ?? null, limit), limit, false);
    },
    async listByUser(userId, options = {}) {
      checkId(userId, 'userId');
      const limit = checkLimit(options.limit);
      const rows = await client.query<RawRow>(
        `SELECT id, record::text AS record, revision, schema_version FROM ${ctx.sql.table} WHERE user_id = $1 AND ($2::text IS NULL OR id > $2) ORDER BY id LIMIT $3`,
        [userId, options.after ?? null, limit],
      );
      return pageOf(ctx, rows.map(toRow), limit, true);
    },
    importRecords: (records) => importAll(ctx, records),
    countByVersion: () => countByVersion(ctx),
  };
}
