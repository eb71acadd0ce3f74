import { quoteIdent, type SqlExecutor } from './sql-client.ts';

/** One versioned step of a schema; `{s}` in `sql` stands for the quoted schema name. */
export interface SchemaMigrationStep {
  version: number;
  name: string;
  sql: string;
}

export interface MigrationReport {
  /** Versions applied by this call. */
  applied: number[];
  /** Highest version now in place. */
  current: number;
}

/**
 * Brings one component's tables in `schema` up to date, inside a caller's transaction: takes a
 * transaction-scoped advisory lock on `lockKey` (two processes starting together on one server do
 * not race), keeps the applied versions in `<schema>.<table>`, skips those, applies the rest in
 * order. The event store and the vector store each keep their own version table in a shared schema.
 */
export async function applySchemaMigrations(
  tx: SqlExecutor,
  schema: string,
  options: { table: string; lockKey: string; steps: ReadonlyArray<SchemaMigrationStep> },
): Promise<MigrationReport> {
  const s = quoteIdent(schema);
  const t = `${s}.${quoteIdent(options.table)}`;
  await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [options.lockKey]);
  await tx.exec(`CREATE SCHEMA IF NOT EXISTS ${s};
CREATE TABLE IF NOT EXISTS ${t} (
  version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now()
);`);
  const rows = await tx.query<{ version: number }>(`SELECT version FROM ${t} ORDER BY version`);
  const done = new Set(rows.map((r) => Number(r.version)));
  const applied: number[] = [];
  for (const step of options.steps) {
    if (done.has(step.version)) continue;
    await tx.exec(step.sql.replaceAll('{s}', s));
    await tx.query(`INSERT INTO ${t} (version, name) VALUES ($1, $2)`, [step.version, step.name]);
    applied.push(step.version);
  }
  return { applied, current: Math.max(0, ...done, ...applied) };
}
