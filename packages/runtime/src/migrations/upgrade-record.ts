/**
 * Conversation (or any record) schema upgrades, pure and idempotent.
 *
 * The record's version lives in `schemaVersion` (a record without one is taken to be at the
 * migration's `from`). Upgrading, in this order: renames fields, adds missing fields with their
 * defaults, copies record fields into each element of `messages` that lacks the target field
 * (`copyToMessages`, e.g. a message `timestamp` from the conversation's `createdAt` — read after the
 * renames and additions), adds missing fields to each message with their defaults
 * (`addToMessages`, so a constant is the fallback where nothing could be copied), and sets
 * `schemaVersion` to `to`. It never drops or overwrites a value: a rename whose target already
 * exists keeps both, existing values always win, and a copy whose source the record lacks (or holds
 * `null`) leaves the message as it is. Running it twice gives the same record as running it once.
 */
import type { PayloadSchemaMigration } from '../bundle/payload.ts';

export const SCHEMA_VERSION_FIELD = 'schemaVersion';

export type UpgradeResult =
  | { ok: true; record: Record<string, unknown>; changed: boolean; from: number; to: number }
  | { ok: false; code: 'NOT_AN_OBJECT' | 'VERSION_MISMATCH' | 'INVALID_ARGUMENT'; message: string; record: unknown };

function clone<T>(v: T): T {
  return v === undefined ? v : (structuredClone(v) as T);
}

/** Own fields only: a field named like an Object.prototype member (`constructor`) is data too. */
const has = (o: Record<string, unknown>, key: string): boolean => Object.hasOwn(o, key);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Upgrades `record` by one migration step. Returns a new object; the input is not modified. Never
 * throws: a record that cannot be copied as data (functions, symbols, getters that throw) is
 * `INVALID_ARGUMENT`.
 */
export function upgradeRecord(
  migration: Pick<PayloadSchemaMigration, 'from' | 'to' | 'upgrade'>,
  record: unknown,
): UpgradeResult {
  try {
    return upgrade(migration, record);
  } catch (e) {
    return {
      ok: false,
      code: 'INVALID_ARGUMENT',
      message: `record is not plain data: ${e instanceof Error ? e.message : String(e)}`,
      record,
    };
  }
}

function upgrade(migration: Pick<PayloadSchemaMigration, 'from' | 'to' | 'upgrade'>, record: unknown): UpgradeResult {
  if (!isObject(record)) {
    return { ok: false, code: 'NOT_AN_OBJECT', message: 'a record must be a JSON object', record };
  }
  const raw = record[SCHEMA_VERSION_FIELD];
  const version = raw === undefined ? migration.from : raw;
  if (version === migration.to) {
    return { ok: true, record, changed: false, from: migration.to, to: migration.to };
  }
  if (version !== migration.from) {
    return {
      ok: false,
      code: 'VERSION_MISMATCH',
      message: `record is at ${JSON.stringify(raw)}; this migration upgrades ${migration.from} → ${migration.to}`,
      record,
    };
  }
  const out: Record<string, unknown> = clone(record);
  // copyToMessages is optional in the bundle format (bundles compiled before it existed lack it).
  const { add = {}, rename = {}, addToMessages = {}, copyToMessages = {} } = migration.upgrade;
  for (const [from, to] of Object.entries(rename)) {
    if (has(out, from) && !has(out, to)) {
      out[to] = out[from];
      delete out[from];
    }
  }
  for (const [field, value] of Object.entries(add)) {
    if (!has(out, field)) out[field] = clone(value);
  }
  // Sources present in the upgraded record; `null` means "unknown", which is not worth copying.
  const copies = Object.entries(copyToMessages).filter(
    ([, source]) => has(out, source) && out[source] !== null && out[source] !== undefined,
  );
  if (Array.isArray(out.messages) && (copies.length > 0 || Object.keys(addToMessages).length > 0)) {
    out.messages = out.messages.map((m: unknown) => {
      if (!isObject(m)) return m;
      const next = { ...m };
      for (const [field, source] of copies) {
        if (!has(next, field)) next[field] = clone(out[source]);
      }
      for (const [field, value] of Object.entries(addToMessages)) {
        if (!has(next, field)) next[field] = clone(value);
      }
      return next;
    });
  }
  out[SCHEMA_VERSION_FIELD] = migration.to;
  return { ok: true, record: out, changed: true, from: migration.from, to: migration.to };
}
