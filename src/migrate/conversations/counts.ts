/** What the runner counts in the conversations table: before the run, and what is left. */
import { quoteIdent, type ConversationSql, type SqlClient } from '@switchyard/data';

export async function tableExists(client: SqlClient, schema: string): Promise<boolean> {
  const rows = await client.query<{ t: string | null }>(`SELECT to_regclass($1)::text AS t`, [
    `${quoteIdent(schema)}.conversations`,
  ]);
  return rows[0]?.t !== null && rows[0]?.t !== undefined;
}

export async function countPending(
  client: SqlClient,
  sql: ConversationSql,
  to: number,
  after: string | null,
): Promise<number> {
  const rows = await client.query<{ n: string | number }>(
    `SELECT count(*) AS n FROM ${sql.table} WHERE (schema_version IS NULL OR schema_version <> $1) AND ($2::text IS NULL OR id > $2)`,
    [to, after],
  );
  return Number(rows[0]?.n ?? 0);
}

export async function countByVersion(
  client: SqlClient,
  sql: ConversationSql,
): Promise<Array<{ schemaVersion: number | null; count: number }>> {
  const rows = await client.query<{ schema_version: number | null; n: string | number }>(
    `SELECT schema_version, count(*) AS n FROM ${sql.table} GROUP BY schema_version ORDER BY schema_version NULLS FIRST`,
  );
  return rows.map((r) => ({
    schemaVersion: r.schema_version === null ? null : Number(r.schema_version),
    count: Number(r.n),
  }));
}
