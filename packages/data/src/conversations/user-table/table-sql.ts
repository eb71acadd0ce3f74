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
import type { SqlExecutor } from '../../store/sql-client.ts';
import type { RecordTable } from '../record-table.ts';
import type { InspectedTable } from './inspect.ts';
import { toStored, toTableRow, type RawUserRow, type Token } from './row-codec.ts';
import { sqlParts } from './sql-parts.ts';

export function userTableSql(table: InspectedTable): RecordTable {
  const s = table.storage;
  const { t, k, version, columns, after, sets, unchanged } = sqlParts(table);
  const versionColumn = s.version !== undefined;
  const toRow = (raw: RawUserRow) => toTableRow(raw, versionColumn);
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
        const next = toStored(i.record, token, versionColumn);
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
