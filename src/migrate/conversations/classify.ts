/**
 * What the runner does with one row: upgrade it, skip it (already current), or report it (cannot be
 * upgraded) — decided by the runtime's pure `upgradeRecord`, the function the lazy path uses too.
 */
import type { PayloadSchemaMigration } from '@switchyard/runtime';
import { upgradeRecord } from '@switchyard/runtime';
import type { TableRow } from '@switchyard/data';
import type { Problem } from './types.ts';

/** The record's `schemaVersion` as JSON text (`missing` when absent): the report's per-version key. */
export function versionKey(record: unknown): string {
  if (typeof record !== 'object' || record === null || Array.isArray(record)) return 'not an object';
  const v = (record as Record<string, unknown>).schemaVersion;
  return v === undefined ? 'missing' : JSON.stringify(v);
}

export type Classified =
  | { kind: 'upgrade'; row: TableRow; before: Record<string, unknown>; after: Record<string, unknown> }
  | { kind: 'current'; row: TableRow }
  | { kind: 'failed'; row: TableRow; problem: Problem };

export type Upgrade = Extract<Classified, { kind: 'upgrade' }>;

export function classify(m: PayloadSchemaMigration, row: TableRow): Classified {
  const r = upgradeRecord(m, row.record);
  if (!r.ok)
    return {
      kind: 'failed',
      row,
      problem: { id: row.id, code: r.code, message: r.message, version: versionKey(row.record) },
    };
  if (!r.changed) return { kind: 'current', row };
  if (!row.numbersExact) {
    return {
      kind: 'failed',
      row,
      problem: {
        id: row.id,
        code: 'NUMBER_PRECISION',
        message: 'holds a number with more precision than a JavaScript double; left as stored',
        version: versionKey(row.record),
      },
    };
  }
  return { kind: 'upgrade', row, before: row.record as Record<string, unknown>, after: r.record };
}
