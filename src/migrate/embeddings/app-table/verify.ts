/**
 * Verify on the application's table: the same report as on Switchyard's own tables — counts (one
 * current vector per row with text, except dead letters; rows changed since embedding count as
 * stale), the stored dimension, and the top-k overlap of the old and new columns on sampled rows.
 */
import { createHash } from 'node:crypto';
import { quoteIdent, type SqlExecutor, type VectorStore } from '@switchyard/data';
import type { EmbeddingMigrationResource } from '../../../config/index.ts';
import type { CountFacts, VerifyCheck, VerifyOptions, VerifyReport } from '../verify.ts';
import { countChecks, overlapCheck, type OverlapSearch } from '../verify.ts';
import { inspectAppTable, type AppTable } from './inspect.ts';
import { rowStates } from './row-state.ts';
import { asFloat8, dimsOf, type VectorColumnKind } from './vector-sql.ts';

const LIST = 20;

/** The count facts of the application's table. */
export async function appTableCountFacts(store: VectorStore, plan: EmbeddingMigrationResource): Promise<CountFacts> {
  const t = await inspectAppTable(store.client, plan);
  const states = rowStates(t, quoteIdent(store.schema));
  const args = [plan.migration, plan.to.index];
  const sql = store.client;
  const [totals, missing, stale] = await Promise.all([
    sql.query<Record<string, string | number>>(
      `SELECT count(*) AS documents, count(*) FILTER (WHERE NOT absent) AS embeddings,
  count(*) FILTER (WHERE NOT absent AND NOT stale) AS current, count(*) FILTER (WHERE dead AND (absent OR stale)) AS dead
FROM ${states}`,
      args,
    ),
    listed(sql, states, 'absent AND NOT dead', args),
    listed(sql, states, 'stale AND NOT dead', args),
  ]);
  const n = totals[0]!;
  return {
    documents: Number(n.documents),
    embeddings: Number(n.embeddings),
    current: Number(n.current),
    deadLetters: Number(n.dead),
    missing: missing.count,
    missingIds: missing.ids,
    stale: stale.count,
    staleIds: stale.ids,
  };
}

async function listed(
  sql: SqlExecutor,
  states: string,
  where: string,
  args: unknown[],
): Promise<{ count: number; ids: string[] }> {
  const rows = await sql.query<{ id: string; n: string }>(
    `SELECT id, count(*) OVER () AS n FROM ${states} WHERE ${where} ORDER BY sort_key LIMIT ${LIST}`,
    args,
  );
  return { count: Number(rows[0]?.n ?? 0), ids: rows.map((r) => r.id) };
}

/** Changes whenever a row is added, deleted or changed, or a new vector is written. */
export async function appTableFingerprint(store: VectorStore, plan: EmbeddingMigrationResource): Promise<string> {
  const t = await inspectAppTable(store.client, plan);
  const rows = await store.client.query<Record<string, unknown>>(
    `SELECT count(*) AS n, count(${t.to}) AS vectors, coalesce(max(${t.updatedAt})::text, '') AS latest,
  coalesce(sum(hashtext(${t.key}::text || coalesce(${t.updatedAt}::text, '') || coalesce(md5(${t.to}::text), ''))::numeric), 0) AS digest
FROM ${t.table}`,
  );
  const r = rows[0]!;
  return createHash('sha256')
    .update(JSON.stringify(['app-table', String(r.n), String(r.vectors), String(r.latest), String(r.digest)]))
    .digest('hex')
    .slice(0, 16);
}

/** Runs every check on the application's table (the report `verifyMigration` returns). */
export async function verifyAppTable(options: VerifyOptions, report: VerifyReport): Promise<VerifyReport> {
  const { store, plan, settings } = options;
  const t = await inspectAppTable(store.client, plan);
  const checks = report.checks;
  checks.push({
    name: 'index',
    passed: true,
    detail: `target column ${t.schema}.${t.tableName}.${t.columns.to} (${t.toKind}${t.toDeclared ? `(${t.toDeclared})` : ''})`,
  });
  const dimension = await storedDimension(store.client, t, plan.to.dimension);
  report.dimension = dimension.facts;
  checks.push(dimension.check);
  const counts = await appTableCountFacts(store, plan);
  report.counts = counts;
  checks.push(...countChecks(counts, settings));
  if (!dimension.check.passed) {
    checks.push({
      name: 'overlap',
      passed: false,
      detail: 'not measured: the stored dimension does not match the plan',
    });
  } else {
    const sample = await store.client.query<{ id: string; content: string }>(
      `SELECT ${t.key}::text AS id, ${t.text} AS content FROM ${t.table}
WHERE ${t.text} IS NOT NULL AND ${t.text} <> '' AND ${t.from} IS NOT NULL ORDER BY md5(${t.key}::text || $1), ${t.key} LIMIT $2`,
      [plan.migration, settings.sampleQueries],
    );
    const search: OverlapSearch = async (side, vector, k) =>
      columnSearch(
        store.client,
        t,
        side === 'from' ? t.from : t.to,
        side === 'from' ? t.fromKind : t.toKind,
        vector,
        k,
      );
    const overlap = await overlapCheck(options, sample, search);
    report.overlap = overlap.facts;
    checks.push(overlap.check);
  }
  return report;
}

async function storedDimension(
  sql: SqlExecutor,
  t: AppTable,
  expected: number,
): Promise<{ facts: VerifyReport['dimension']; check: VerifyCheck }> {
  const dims = dimsOf(t.to, t.toKind);
  const rows = await sql.query<{ lo: number | null; hi: number | null }>(
    `SELECT min(${dims}) AS lo, max(${dims}) AS hi FROM ${t.table} WHERE ${t.to} IS NOT NULL`,
  );
  const lo = rows[0]?.lo === null || rows[0]?.lo === undefined ? undefined : Number(rows[0].lo);
  const hi = rows[0]?.hi === null || rows[0]?.hi === undefined ? undefined : Number(rows[0].hi);
  const passed = (t.toDeclared ?? expected) === expected && (lo === undefined || (lo === expected && hi === expected));
  return {
    facts: { expected, catalog: t.toDeclared, stored: lo === undefined ? undefined : [lo, hi!] },
    check: {
      name: 'dimension',
      passed,
      detail: `expected ${expected}; column ${t.toDeclared ?? '(undeclared)'}; stored ${lo === undefined ? '(no vectors)' : lo === hi ? lo : `${lo}..${hi}`}`,
    },
  };
}

/** Exact top-k by cosine similarity over one vector column (the query is unit length). */
async function columnSearch(
  sql: SqlExecutor,
  t: AppTable,
  column: string,
  kind: VectorColumnKind,
  vector: Float32Array,
  k: number,
): Promise<string[]> {
  const rows = await sql.query<{ id: string }>(
    `SELECT q.id FROM (SELECT t.${t.key} AS sort_key, t.${t.key}::text AS id, ${asFloat8(`t.${column}`, kind)} AS vec
  FROM ${t.table} t WHERE t.${column} IS NOT NULL) q
ORDER BY (SELECT sum(a * b) FROM unnest(q.vec, $1::float8[]) AS u(a, b)) / NULLIF(sqrt((SELECT sum(a * a) FROM unnest(q.vec) AS u(a))), 0) DESC NULLS LAST, q.sort_key
LIMIT $2`,
    [`{${Array.from(unit(vector)).join(',')}}`, k],
  );
  return rows.map((r) => r.id);
}

function unit(v: Float32Array): Float32Array {
  let norm = 0;
  for (const x of v) norm += x * x;
  norm = Math.sqrt(norm) || 1;
  return v.map((x) => x / norm);
}
