/**
 * `migrateModel`: the deliberate, consented move of one conversation to another snapshot (the
 * article: "Only migrate deliberately, and with user consent"), recorded in `modelHistory` and
 * announced as a `conversation-model` migration event.
 */
import { checkIso, isObject } from './input-checks.ts';
import { modifyRecord } from './modify.ts';
import type { MigrateModelInput, MigrateModelResult } from './repository-api.ts';
import type { RepositoryContext } from './repository-context.ts';
import { ConversationError } from './schema.ts';
import type { ConversationEvent, ModelHistoryEntry } from './types.ts';

/** Refuses a switch without a target or without consent. */
function checkSwitch(input: MigrateModelInput): void {
  if (!isObject(input) || typeof input.to !== 'string' || input.to === '')
    throw new ConversationError('E_CONVERSATION_INVALID', 'migrateModel needs `to`, the snapshot to move to');
  const consent: unknown = input.consent;
  if (!isObject(consent) || typeof consent.by !== 'string' || consent.by === '') {
    throw new ConversationError(
      'E_CONVERSATION_CONSENT_REQUIRED',
      'a conversation changes model only with consent: pass consent: { by, at? }',
    );
  }
  if (consent.at !== undefined) checkIso(consent.at, 'consent.at');
}

export async function switchModel(
  ctx: RepositoryContext,
  id: string,
  input: MigrateModelInput,
): Promise<MigrateModelResult> {
  checkSwitch(input);
  const consent = input.consent;
  let entry: ModelHistoryEntry | null = null;
  const result = await modifyRecord(ctx, id, input, (record) => {
    const from = typeof record.modelVersion === 'string' ? record.modelVersion : '';
    if (from === input.to) return null;
    const at = ctx.now().toISOString();
    entry = {
      from,
      to: input.to,
      at,
      consentBy: consent.by,
      ...(consent.at !== undefined && consent.at !== at ? { consentAt: consent.at } : {}),
      ...(input.reason ? { reason: input.reason } : {}),
    };
    const history = Array.isArray(record.modelHistory) ? record.modelHistory : [];
    return { ...record, modelVersion: input.to, migratedAt: at, modelHistory: [...history, entry] };
  });
  if (!result.changed || entry === null) return { conversation: result.conversation, changed: false, event: null };
  const e: ModelHistoryEntry = entry;
  const event: ConversationEvent = {
    type: 'migration',
    time: Date.parse(e.at),
    migration: 'conversation-model',
    key: input.alias ?? 'chat',
    subjectId: id,
    from: e.from,
    to: e.to,
  };
  ctx.emit(event);
  return { conversation: result.conversation, changed: true, event };
}
