/**
 * The runner's SQL for an application's table (a RecordTable over `storage:`). Names reach SQL only
 * quoted (`quoteIdent`) after storage.ts checked them; the casts come from a fixed list (inspect.ts).
 *
 * A conditional write lands only when the row is exactly as read: the record's text, the version
 * column, and the `updatedAt`/`revision` column when declared — so an application write between the
 * runner's read and write is never overwritten (the runner reads the row again). The write sets
 * `updatedAt` to its own time and increments `revision`, so the application's own optimistic checks
 * see it too.
 */
import { quoteIdent, type SqlExecutor } from '../../store/sql-client.ts';
import { numbersSurviveDoubles } from '../json-precision.ts';
import type { RecordTable, TableRow } from '../record-table.ts';
import type { InspectedTable } from './inspect.ts';

interface RawUserRow {
  id: string;
  record: string;
  version: number | string | null;
  updated: string | null;
  rev: string | null;
}

/** What a conditional write compares (the opaque `revision` of a TableRow), and whether the JSON carried `schemaVersion`. */
interface Token {
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

export function userTableSql(table: InspectedTable): RecordTable {
  const s = table.storage;
  const t = `${quoteIdent(s.schemaName)}.${quoteIdent(s.tableName)}`;
  const k = quoteIdent(s.key);
  const r = quoteIdent(s.record);
  const v = s.version === undefined ? null : quoteIdent(s.version);
  const u = s.updatedAt === undefined ? null : quoteIdent(s.updatedAt);
  const rv = s.revision === undefined ? null : quoteIdent(s.revision);
  const json = table.recordType === 'jsonb' ? r : `(${r})::jsonb`;
  // The stored version as an integer, NULL when there is none (mirrors Switchyard's schema_version column).
  const version =
    v ??
    `(CASE WHEN jsonb_typeof(${json}->'schemaVersion') = 'number' AND (${json}->>'schemaVersion') ~ '^-?[0-9]{1,9}$' THEN (${json}->>'schemaVersion')::integer END)`;
  const columns = `${k}::text AS id, ${r}::text AS record, ${version} AS version, ${u ? `${u}::text` : 'NULL::text'} AS updated, ${rv ? `${rv}::text` : 'NULL::text'} AS rev`;
  const after = (n: number): string => `($${n}::text IS NULL OR ${k} > ($${n}::text)::${table.keyCast})`;

  const toRow = (raw: RawUserRow): TableRow => {
    const parsed = parse(raw.record);
    const hadField = isObject(parsed) && Object.hasOwn(parsed, 'schemaVersion');
    const versionNumber = raw.version === null ? null : Number(raw.version);
    // With a version column the column is the version: the record is upgraded as if it said so.
    const record =
      v !== null && versionNumber !== null && isObject(parsed) ? { ...parsed, schemaVersion: versionNumber } : parsed;
    const token: Token = {
      t: raw.record,
      v: raw.version === null ? null : String(raw.version),
      u: raw.updated,
      r: raw.rev,
      f: hadField,
    };
    return {
      id: raw.id,
      record,
      revision: JSON.stringify(token),
      schemaVersion: versionNumber,
      numbersExact: numbersSurviveDoubles(raw.record),
    };
  };

  /** The record and version as stored: with a version column, `schemaVersion` moves to the column (kept in the JSON only if it was there). */
  const toStored = (record: unknown, token: Token): { text: string; version: number | null } => {
    if (v === null || !isObject(record)) return { text: JSON.stringify(record), version: null };
    const n = record.schemaVersion;
    const version = typeof n === 'number' && Number.isInteger(n) ? n : null;
    if (token.f) return { text: JSON.stringify(record), version };
    const { schemaVersion: _moved, ...rest } = record;
    return { text: JSON.stringify(rest), version };
  };

  const sets = [
    `${r} = (e.value->>'r')::${table.recordType}`,
    ...(v ? [`${v} = (e.value->>'v')::bigint`] : []),
    ...(u ? [`${u} = clock_timestamp()`] : []),
    ...(rv ? [`${rv} = COALESCE(c.${rv}, 0) + 1`] : []),
  ].join(', ');
  const unchanged = [
    `c.${r}::text = e.value->>'old'`,
    ...(v ? [`c.${v}::text IS NOT DISTINCT FROM e.value->>'ov'`] : []),
    ...(u ? [`c.${u}::text IS NOT DISTINCT FROM e.value->>'ou'`] : []),
    ...(rv ? [`c.${rv}::text IS NOT DISTINCT FROM e.value->>'orv'`] : []),
  ].join(' AND ');

  return {
    label: `${s.schemaName}.${s.tableName}`,
    async page(exec, afterKey, limit, notVersion) {
      const rows = await exec.query<RawUserRow>(
        `SELECT ${columns} FROM ${t} WHERE ${after(1)} AND ${version} IS DISTINCT FROM $3::integer ORDER BY ${k} LIMIT $2`,
        [afterKey, limit, notVersion],
      );
      return rows.map(toRow);
    },
    async selectMany(exec, ids) {
      if (ids.length === 0) return [];
      const rows = await exec.query<RawUserRow>(
        `SELECT ${columns} FROM ${t} WHERE ${k} IN (SELECT (jsonb_array_elements_text($1::jsonb))::${table.keyCast}) ORDER BY ${k}`,
        [JSON.stringify(ids)],
      );
      return rows.map(toRow);
    },
    async updateManyIfRevision(exec: SqlExecutor, items) {
      if (items.length === 0) return new Set();
      const payload = items.map((i) => {
        const token = JSON.parse(String(i.revision)) as Token;
        const next = toStored(i.record, token);
        return { id: i.id, r: next.text, v: next.version, old: token.t, ov: token.v, ou: token.u, orv: token.r };
      });
      const rows = await exec.query<{ id: string }>(
        `UPDATE ${t} AS c SET ${sets} FROM jsonb_array_elements($1::jsonb) AS e
         WHERE c.${k} = (e.value->>'id')::${table.keyCast} AND ${unchanged}
         RETURNING c.${k}::text AS id`,
        [JSON.stringify(payload)],
      );
      return new Set(rows.map((row) => row.id));
    },
    async countPending(exec, to, afterKey) {
      const rows = await exec.query<{ n: string | number }>(
        `SELECT count(*) AS n FROM ${t} WHERE ${version} IS DISTINCT FROM $1::integer AND ${after(2)}`,
        [to, afterKey],
      );
      return Number(rows[0]?.n ?? 0);
    },
    async countByVersion(exec) {
      const rows = await exec.query<{ schema_version: number | string | null; n: string | number }>(
        `SELECT ${version} AS schema_version, count(*) AS n FROM ${t} GROUP BY 1 ORDER BY 1 NULLS FIRST`,
      );
      return rows.map((row) => ({
        schemaVersion: row.schema_version === null ? null : Number(row.schema_version),
        count: Number(row.n),
      }));
    },
  };
}
