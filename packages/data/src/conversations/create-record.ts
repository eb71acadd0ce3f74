/**
 * `create`: a new conversation record, pinned to its snapshot, at the current schema version —
 * with exactly the fields an upgraded record has, so lazy, background and new records agree.
 */
import { randomUUID } from 'node:crypto';
import { upgradeRecord } from '@switchyard/runtime';
import { checkId, checkIso, isObject, normalizeMessages } from './input-checks.ts';
import type { CreateConversationInput } from './repository-api.ts';
import type { RepositoryContext } from './repository-context.ts';
import { ConversationError } from './schema.ts';
import type { ConversationMigration, ConversationRecord, StoredConversation } from './types.ts';

/** The version a new record starts at before the migration in force (if any) upgrades it. */
function startingVersion(ctx: RepositoryContext, m: ConversationMigration | null): number {
  const version = m ? m.from : ctx.configuredVersion;
  if (version === undefined) {
    throw new ConversationError(
      'E_CONVERSATION_SCHEMA_VERSION',
      'no SchemaMigration is in force and no schemaVersion is configured, so a new record would get an arbitrary version: pass openConversationRepository(client, { schemaVersion: <the to of your last migration> }) or a migration',
    );
  }
  return version;
}

/** Checks the input and builds the record to insert. */
export function newRecord(ctx: RepositoryContext, input: CreateConversationInput): Record<string, unknown> {
  if (!isObject(input)) throw new ConversationError('E_CONVERSATION_INVALID', 'create() needs an object');
  const { userId, modelVersion, id: givenId, messages = [], createdAt, ...extra } = input;
  checkId(userId, 'userId');
  if (typeof modelVersion !== 'string' || modelVersion === '')
    throw new ConversationError(
      'E_CONVERSATION_INVALID',
      'modelVersion must be a non-empty string (the snapshot to pin)',
    );
  const id = givenId ?? randomUUID();
  checkId(id);
  if (createdAt !== undefined) checkIso(createdAt, 'createdAt');
  const m = ctx.migration();
  const version = startingVersion(ctx, m);
  const record: Record<string, unknown> = {
    ...extra,
    id,
    userId,
    messages: normalizeMessages(messages, modelVersion, ctx.now().toISOString()),
    modelVersion,
    schemaVersion: version,
    createdAt: createdAt ?? ctx.now().toISOString(),
  };
  if (!m) return record;
  // The migration's defaults for whatever the caller did not give.
  const up = upgradeRecord(m, record);
  if (!up.ok)
    throw new ConversationError(
      'E_CONVERSATION_INVALID',
      `the new record cannot be brought to schema version ${m.to}: ${up.message}`,
    );
  return up.record;
}

/** Inserts a new record; `E_CONVERSATION_EXISTS` when the id is taken. */
export async function createConversation(
  ctx: RepositoryContext,
  input: CreateConversationInput,
): Promise<StoredConversation> {
  const record = newRecord(ctx, input);
  const id = record.id as string;
  if (!(await ctx.sql.insert(ctx.client, id, record)))
    throw new ConversationError('E_CONVERSATION_EXISTS', `conversation '${id}' already exists`);
  return { id, revision: 1, record: record as ConversationRecord };
}
