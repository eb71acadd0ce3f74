/**
 * Every write to an existing conversation: read (upgrading), apply a change, write only if the
 * revision is still the one read. Without `expectedRevision` a conflicting writer makes it read and
 * apply the change again on the fresh record; with it, a conflict is refused.
 */
import { checkId } from './input-checks.ts';
import { readUpgrading, type ReadResult } from './read-upgrade.ts';
import { MAX_ATTEMPTS, NUMBER_PRECISION_MESSAGE, type RepositoryContext } from './repository-context.ts';
import type { WriteOptions } from './repository-api.ts';
import { ConversationError } from './schema.ts';
import type { ConversationRecord, StoredConversation } from './types.ts';

/** `change` returns the new record, or null for "nothing to do" (nothing is written). */
export type RecordChange = (record: ConversationRecord) => ConversationRecord | null;

/** Refuses a read whose record cannot be brought to the current version, or is not at `expectedRevision`. */
function checkWritable(ctx: RepositoryContext, id: string, found: ReadResult, options: WriteOptions): void {
  const current = found.conversation;
  if (current.upgrade?.status === 'failed') {
    const code =
      current.upgrade.code === 'E_CONVERSATION_NUMBER_PRECISION'
        ? current.upgrade.code
        : 'E_CONVERSATION_UNSUPPORTED_VERSION';
    throw new ConversationError(
      code,
      `conversation '${id}' cannot be brought to schema version ${ctx.currentSchemaVersion() ?? '(none configured)'}: ${current.upgrade.message}`,
    );
  }
  if (options.expectedRevision !== undefined && current.revision !== options.expectedRevision) {
    throw new ConversationError(
      'E_CONVERSATION_CONFLICT',
      `conversation '${id}' is at revision ${current.revision}, not ${options.expectedRevision}: read it again`,
    );
  }
}

/** Reads (upgrading), applies `change`, writes conditionally; retries on conflict unless `expectedRevision` is given. */
export async function modifyRecord(
  ctx: RepositoryContext,
  id: string,
  options: WriteOptions,
  change: RecordChange,
): Promise<{ conversation: StoredConversation; changed: boolean }> {
  checkId(id);
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const found = await readUpgrading(ctx, id);
    if (found === null) throw new ConversationError('E_CONVERSATION_NOT_FOUND', `no conversation '${id}'`);
    checkWritable(ctx, id, found, options);
    const current = found.conversation;
    const next = change(current.record);
    if (next === null) return { conversation: current, changed: false };
    if (!found.exact) {
      throw new ConversationError(
        'E_CONVERSATION_NUMBER_PRECISION',
        `conversation '${id}': ${NUMBER_PRECISION_MESSAGE}`,
      );
    }
    const revision = await ctx.sql.updateIfRevision(ctx.client, id, next, current.revision);
    if (revision !== null) return { conversation: { id, revision, record: next }, changed: true };
    if (options.expectedRevision !== undefined) {
      throw new ConversationError(
        'E_CONVERSATION_CONFLICT',
        `conversation '${id}' changed while it was being written: read it again`,
      );
    }
  }
  throw new ConversationError(
    'E_CONVERSATION_CONFLICT',
    `conversation '${id}' kept changing during ${MAX_ATTEMPTS} attempts`,
  );
}
