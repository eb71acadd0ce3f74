/**
 * What an upgrade changes in a record, derived by comparing the record before and after
 * `upgradeRecord` (not by re-reading the plan), so the dry-run reports exactly what a run would write.
 */
import type { ConversationMigration } from '../../conversations/index.ts';

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
  /** Field → messages that gained it. */
  messageFieldsAdded: Record<string, number>;
  /** Records with at least one message changed. */
  recordsWithMessagesChanged: number;
  /** Top-level fields removed other than by a rename (always empty for upgradeRecord: it never drops a value). */
  removed: Record<string, number>;
}

export function emptySummary(): ChangeSummary {
  return { added: {}, renamed: {}, renameKeptBoth: {}, messageFieldsAdded: {}, recordsWithMessagesChanged: 0, removed: {} };
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

/** Adds one record's before/after to the summary. */
export function summarizeChange(summary: ChangeSummary, migration: ConversationMigration, before: Record<string, unknown>, after: Record<string, unknown>): void {
  const renames = migration.upgrade.rename ?? {};
  for (const [from, to] of Object.entries(renames)) {
    if (from in before && !(from in after) && to in after) bump(summary.renamed, `${from} → ${to}`);
    else if (from in before && to in before) bump(summary.renameKeptBoth, `${from} → ${to}`);
  }
  const renameTargets = new Set(Object.entries(renames).filter(([from]) => from in before && !(from in after)).map(([, to]) => to));
  for (const key of Object.keys(after)) if (!(key in before) && !renameTargets.has(key)) bump(summary.added, key);
  for (const key of Object.keys(before)) if (!(key in after) && !(key in renames)) bump(summary.removed, key);
  const bm = before.messages;
  const am = after.messages;
  if (Array.isArray(bm) && Array.isArray(am)) {
    let touched = false;
    bm.forEach((m: unknown, i) => {
      const n: unknown = am[i];
      if (!isObject(m) || !isObject(n)) return;
      for (const key of Object.keys(n)) {
        if (!(key in m)) {
          bump(summary.messageFieldsAdded, key);
          touched = true;
        }
      }
    });
    if (touched) summary.recordsWithMessagesChanged++;
  }
}

/** A structural diff of two JSON values, renames folded in, for the dry-run's sample. */
export function diffRecords(migration: ConversationMigration, before: Record<string, unknown>, after: Record<string, unknown>): DiffEntry[] {
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
