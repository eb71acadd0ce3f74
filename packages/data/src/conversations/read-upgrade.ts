/**
 * The lazy path (docs/guides/conversation-migration.md): a record below the current schema version
 * is upgraded on read with the runtime's pure `upgradeRecord` — the same function the background
 * runner uses — and written back only if its revision is still the one read.
 */
import { upgradeRecord } from '@switchyard/runtime';
import { checkId } from './input-checks.ts';
import { MAX_ATTEMPTS, NUMBER_PRECISION_MESSAGE, type RepositoryContext } from './repository-context.ts';
import type { ConversationRow } from './sql.ts';
import type { ConversationMigration, ConversationRecord, ReadUpgrade, StoredConversation } from './types.ts';

/** What upgrading one row in memory gives. */
export type InMemoryUpgrade =
  | { kind: 'current' }
  | { kind: 'failed'; code: string; message: string }
  | { kind: 'upgraded'; record: Record<string, unknown>; from: number; to: number };

/** A read with `exact`: false when a number would change through a JavaScript double (json-precision.ts). */
export interface ReadResult {
  conversation: StoredConversation;
  exact: boolean;
}

export function stored(row: ConversationRow, upgrade?: ReadUpgrade): StoredConversation {
  return {
    id: row.id,
    revision: row.revision,
    record: row.record as ConversationRecord,
    ...(upgrade ? { upgrade } : {}),
  };
}

/** Upgrades in memory; `current` when already current or no migration applies. */
export function upgradeInMemory(
  row: Pick<ConversationRow, 'record' | 'numbersExact'>,
  m: ConversationMigration | null,
): InMemoryUpgrade {
  if (m === null) return { kind: 'current' };
  const r = upgradeRecord(m, row.record);
  if (!r.ok) return { kind: 'failed', code: r.code, message: r.message };
  if (!r.changed) return { kind: 'current' };
  if (!row.numbersExact) return { kind: 'failed', code: 'NUMBER_PRECISION', message: NUMBER_PRECISION_MESSAGE };
  return { kind: 'upgraded', record: r.record, from: r.from, to: r.to };
}

/** The row as the read returns it when no write is needed (current, or cannot be upgraded). */
function asRead(row: ConversationRow, up: Exclude<InMemoryUpgrade, { kind: 'upgraded' }>): StoredConversation {
  if (up.kind === 'current') return stored(row, { status: 'current', version: row.schemaVersion });
  return stored(row, { status: 'failed', code: `E_CONVERSATION_${up.code}`, message: up.message });
}

/** The upgraded record, written (`revision` the new one) or not (the row's). */
function upgraded(
  id: string,
  revision: number,
  up: Extract<InMemoryUpgrade, { kind: 'upgraded' }>,
  written: boolean,
): StoredConversation {
  return {
    id,
    revision,
    record: up.record as ConversationRecord,
    upgrade: { status: 'upgraded', from: up.from, to: up.to, written },
  };
}

/** Reads one record, upgrading it (and writing it back) when it is below the current version. */
export async function readUpgrading(ctx: RepositoryContext, id: string): Promise<ReadResult | null> {
  checkId(id);
  let last: { up: Extract<InMemoryUpgrade, { kind: 'upgraded' }>; row: ConversationRow } | null = null;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const row = await ctx.sql.select(ctx.client, id);
    if (row === null) return null;
    const m = ctx.migration();
    const up = upgradeInMemory(row, m);
    if (up.kind !== 'upgraded') return { conversation: asRead(row, up), exact: row.numbersExact };
    last = { up, row };
    const revision = await ctx.sql.updateIfRevision(ctx.client, id, up.record, row.revision);
    if (revision !== null) {
      ctx.emit({
        type: 'migration',
        time: ctx.now().getTime(),
        migration: 'schema',
        key: (m as ConversationMigration).id,
        subjectId: id,
        from: String(up.from),
        to: String(up.to),
      });
      return { conversation: upgraded(id, revision, up, true), exact: row.numbersExact };
    }
    // Another writer changed the row between our read and write: read it again and decide again.
  }
  const l = last as NonNullable<typeof last>;
  return { conversation: upgraded(id, l.row.revision, l.up, false), exact: l.row.numbersExact };
}

/** A page of rows: as stored (`upgrade` false), or upgraded in memory and not written. */
export function pageOf(
  ctx: RepositoryContext,
  rows: ConversationRow[],
  limit: number,
  upgrade: boolean,
): { items: StoredConversation[]; next: string | null } {
  const m = upgrade ? ctx.migration() : null;
  const items = rows.map((row) => {
    if (!upgrade) return stored(row);
    const up = upgradeInMemory(row, m);
    return up.kind === 'upgraded' ? upgraded(row.id, row.revision, up, false) : asRead(row, up);
  });
  return { items, next: rows.length === limit ? (rows[rows.length - 1] as ConversationRow).id : null };
}
