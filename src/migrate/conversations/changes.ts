/**
 * What an upgrade changes in a record, derived by comparing the record before and after
 * `upgradeRecord` (not by re-reading the plan), so the dry-run reports exactly what a run would write.
 */
import type { ConversationMigration } from '@switchyard/data';

/** One change in a sample diff. Paths are `field`, `field.sub`, `messages[0].model`. */
export type DiffEntry =
  | { op: 'add'; path: string; value: unknown }
  | { op: 'remove'; path: string; value: unknown }
  | { op: 'change'; path: string; from: unknown; to: unknown }
  | { op: 'rename'; path: string; to: string };

/** Counters over every record that would change. */
export interface ChangeSummary {
  /** Top-level fields added (not by a rename): field → records. */
  added: Record<string, number>;
  /** `old → new` → records where the field was renamed. */
  renamed: Record<string, number>;
  /** `old → new` → records that already had the new field: both kept, nothing renamed. */
  renameKeptBoth: Record<string, number>;
  /** Field → messages that gained it from `addToMessages` (a default value). */
  messageFieldsAdded: Record<string, number>;
  /** `source → field` → messages that got the record's `source` value copied into `field` (`copyToMessages`). */
  messageFieldsCopied: Record<string, number>;
  /**
   * `source → field` → messages still without `field` after the upgrade because their record has no
   * `source` (or null), with the number of records and the first few record ids. Not an error:
   * those messages are kept as they are.
   */
  messageFieldsNotFilled: Record<string, { messages: number; records: number; ids: string[] }>;
  /** Records with at least one message changed. */
  recordsWithMessagesChanged: number;
  /** Top-level fields removed other than by a rename (always empty for upgradeRecord: it never drops a value). */
  removed: Record<string, number>;
}

export function emptySummary(): ChangeSummary {
  return {
    added: {},
    renamed: {},
    renameKeptBoth: {},
    messageFieldsAdded: {},
    messageFieldsCopied: {},
    messageFieldsNotFilled: {},
    recordsWithMessagesChanged: 0,
    removed: {},
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const bump = (m: Record<string, number>, k: string, n = 1): void => {
  m[k] = (m[k] ?? 0) + n;
};

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Record ids listed per field the dry run could not fill (all are counted). */
const MAX_NOT_FILLED_IDS = 5;

/** Adds one record's before/after to the summary. */
export function summarizeChange(
  summary: ChangeSummary,
  migration: ConversationMigration,
  before: Record<string, unknown>,
  after: Record<string, unknown>,
): void {
  const renames = migration.upgrade.rename ?? {};
  for (const [from, to] of Object.entries(renames)) {
    if (from in before && !(from in after) && to in after) bump(summary.renamed, `${from} → ${to}`);
    else if (from in before && to in before) bump(summary.renameKeptBoth, `${from} → ${to}`);
  }
  const renameTargets = new Set(
    Object.entries(renames)
      .filter(([from]) => from in before && !(from in after))
      .map(([, to]) => to),
  );
  for (const key of Object.keys(after)) if (!(key in before) && !renameTargets.has(key)) bump(summary.added, key);
  for (const key of Object.keys(before)) if (!(key in after) && !(key in renames)) bump(summary.removed, key);
  const bm = before.messages;
  const am = after.messages;
  if (Array.isArray(bm) && Array.isArray(am)) {
    // A copy happened where the source is in the upgraded record (not null): upgradeRecord's rule.
    const copies = Object.entries(migration.upgrade.copyToMessages ?? {});
    const copied = new Map(
      copies
        .filter(([, source]) => Object.hasOwn(after, source) && after[source] !== null)
        .map(([field, source]) => [field, source]),
    );
    const notFilled: Record<string, number> = {};
    let touched = false;
    bm.forEach((m: unknown, i) => {
      const n: unknown = am[i];
      if (!isObject(m) || !isObject(n)) return;
      for (const key of Object.keys(n)) {
        if (Object.hasOwn(m, key)) continue;
        const source = copied.get(key);
        if (source !== undefined) bump(summary.messageFieldsCopied, `${source} → ${key}`);
        else bump(summary.messageFieldsAdded, key);
        touched = true;
      }
      for (const [field, source] of copies) {
        if (!Object.hasOwn(n, field)) bump(notFilled, `${source} → ${field}`);
      }
    });
    if (touched) summary.recordsWithMessagesChanged++;
    for (const [key, messages] of Object.entries(notFilled)) {
      const entry = (summary.messageFieldsNotFilled[key] ??= { messages: 0, records: 0, ids: [] });
      entry.messages += messages;
      entry.records++;
      if (entry.ids.length < MAX_NOT_FILLED_IDS && typeof after.id === 'string') entry.ids.push(after.id);
    }
  }
}

/** A structural diff of two JSON values, renames folded in, for the dry-run's sample. */
export function diffRecords(
  migration: ConversationMigration,
  before: Record<string, unknown>,
  after: Record<string, unknown>,
): DiffEntry[] {
  const out: DiffEntry[] = [];
  walk(before, after, '', out);
  // A declared rename appears as remove old + add new with the same value: show it as one rename.
  for (const [from, to] of Object.entries(migration.upgrade.rename ?? {})) {
    const r = out.findIndex((e) => e.op === 'remove' && e.path === from);
    const a = out.findIndex((e) => e.op === 'add' && e.path === to);
    if (r >= 0 && a >= 0 && sameJson((out[r] as { value: unknown }).value, (out[a] as { value: unknown }).value)) {
      out[r] = { op: 'rename', path: from, to };
      out.splice(a, 1);
    }
  }
  return out;
}

function join(base: string, key: string | number): string {
  return typeof key === 'number' ? `${base}[${key}]` : base === '' ? key : `${base}.${key}`;
}

function walk(a: unknown, b: unknown, path: string, out: DiffEntry[]): void {
  if (isObject(a) && isObject(b)) {
    for (const key of Object.keys(a)) {
      if (!(key in b)) out.push({ op: 'remove', path: join(path, key), value: a[key] });
      else walk(a[key], b[key], join(path, key), out);
    }
    for (const key of Object.keys(b)) if (!(key in a)) out.push({ op: 'add', path: join(path, key), value: b[key] });
    return;
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    a.forEach((v: unknown, i) => walk(v, b[i], join(path, i), out));
    return;
  }
  if (!sameJson(a, b)) out.push({ op: 'change', path, from: a, to: b });
}
