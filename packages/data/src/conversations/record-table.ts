/**
 * The table a background schema migration walks, as the runner sees it: keyset pages of rows not
 * yet at a version, a batch of conditional writes, and counts. Two kinds implement it — Switchyard's
 * own `conversations` table (the default) and an application's table named by a SchemaMigration's
 * `storage:` block (user-table/; docs/guides/conversation-migration.md, "Your own table").
 */
import { quoteIdent, type SqlExecutor } from '../store/sql-client.ts';
import { conversationSql } from './sql.ts';

/** One row as the runner reads it. `id` is the key as text; `revision` is opaque: hand it back to write. */
export interface TableRow {
  id: string;
  /** The record as upgraded by `upgradeRecord` sees it (its `schemaVersion` included). */
  record: unknown;
  revision: number | string;
  schemaVersion: number | null;
  /** False when a number in the stored record would change through a JavaScript double (json-precision.ts). */
  numbersExact: boolean;
}

export interface RecordTable {
  /** The table as messages name it, e.g. `app.chat_threads`. */
  readonly label: string;
  /** Keyset page in key order: rows after `after` (null: from the start) not at version `notVersion`. */
  page(exec: SqlExecutor, after: string | null, limit: number, notVersion: number): Promise<TableRow[]>;
  /** The rows with these keys (as text), read again. */
  selectMany(exec: SqlExecutor, ids: string[]): Promise<TableRow[]>;
  /** Writes each record only if its row is unchanged since it was read; returns the keys written. */
  updateManyIfRevision(
    exec: SqlExecutor,
    items: Array<{ id: string; record: unknown; revision: number | string }>,
  ): Promise<Set<string>>;
  /** Rows not at version `to`, after `after` (null: all). */
  countPending(exec: SqlExecutor, to: number, after: string | null): Promise<number>;
  /** Row counts per stored version (`null`: no integer version). */
  countByVersion(exec: SqlExecutor): Promise<Array<{ schemaVersion: number | null; count: number }>>;
}

/** Switchyard's own `<schema>.conversations` as a RecordTable (the SQL of sql.ts, unchanged). */
export function switchyardTable(schema: string): RecordTable {
  const sql = conversationSql(schema);
  return {
    label: `${schema}.conversations`,
    page: (exec, after, limit, notVersion) => sql.page(exec, after, limit, notVersion),
    selectMany: (exec, ids) => sql.selectMany(exec, ids),
    updateManyIfRevision: (exec, items) =>
      sql.updateManyIfRevision(
        exec,
        items.map((i) => ({ ...i, revision: Number(i.revision) })),
      ),
    async countPending(exec, to, after) {
      const rows = await exec.query<{ n: string | number }>(
        `SELECT count(*) AS n FROM ${sql.table} WHERE (schema_version IS NULL OR schema_version <> $1) AND ($2::text IS NULL OR id > $2)`,
        [to, after],
      );
      return Number(rows[0]?.n ?? 0);
    },
    async countByVersion(exec) {
      const rows = await exec.query<{ schema_version: number | null; n: string | number }>(
        `SELECT schema_version, count(*) AS n FROM ${sql.table} GROUP BY schema_version ORDER BY schema_version NULLS FIRST`,
      );
      return rows.map((r) => ({
        schemaVersion: r.schema_version === null ? null : Number(r.schema_version),
        count: Number(r.n),
      }));
    },
  };
}

/** Whether `<schema>.conversations` exists (a dry run creates nothing, so it may not). */
export async function switchyardTableExists(exec: SqlExecutor, schema: string): Promise<boolean> {
  const rows = await exec.query<{ t: string | null }>(`SELECT to_regclass($1)::text AS t`, [
    `${quoteIdent(schema)}.conversations`,
  ]);
  return rows[0]?.t !== null && rows[0]?.t !== undefined;
}
