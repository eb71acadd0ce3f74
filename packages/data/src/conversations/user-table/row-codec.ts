/**
 * Rows of an application's table to and from what the runner works with: the record as
 * `upgradeRecord` sees it (with a version column, the column is its `schemaVersion`), and the
 * opaque revision a conditional write compares (docs/guides/conversation-migration.md, "Your own table").
 */
import { numbersSurviveDoubles } from '../json-precision.ts';
import type { TableRow } from '../record-table.ts';

/** A row as selected (every column as text, so nothing is rounded or reformatted on the way). */
export interface RawUserRow {
  id: string;
  record: string;
  version: number | string | null;
  updated: string | null;
  rev: string | null;
}

/** What a conditional write compares (the opaque `revision` of a TableRow), and whether the JSON carried `schemaVersion`. */
export interface Token {
  t: string;
  v: string | null;
  u: string | null;
  r: string | null;
  f: boolean;
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text; // not JSON (a text column): the runner reports it as not an object
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function toTableRow(raw: RawUserRow, versionColumn: boolean): TableRow {
  const parsed = parse(raw.record);
  const versionNumber = raw.version === null ? null : Number(raw.version);
  // With a version column the column is the version: the record is upgraded as if it said so.
  const record =
    versionColumn && versionNumber !== null && isObject(parsed) ? { ...parsed, schemaVersion: versionNumber } : parsed;
  const token: Token = {
    t: raw.record,
    v: raw.version === null ? null : String(raw.version),
    u: raw.updated,
    r: raw.rev,
    f: isObject(parsed) && Object.hasOwn(parsed, 'schemaVersion'),
  };
  return {
    id: raw.id,
    record,
    revision: JSON.stringify(token),
    schemaVersion: versionNumber,
    numbersExact: numbersSurviveDoubles(raw.record),
  };
}

/** The record and version as stored: with a version column, `schemaVersion` moves to the column (kept in the JSON only if it was there). */
export function toStored(
  record: unknown,
  token: Token,
  versionColumn: boolean,
): { text: string; version: number | null } {
  if (!versionColumn || !isObject(record)) return { text: JSON.stringify(record), version: null };
  const n = record.schemaVersion;
  const version = typeof n === 'number' && Number.isInteger(n) ? n : null;
  if (token.f) return { text: JSON.stringify(record), version };
  const { schemaVersion: _moved, ...rest } = record;
  return { text: JSON.stringify(rest), version };
}
