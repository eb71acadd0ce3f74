/**
 * The backfill target of the application's own table (a plan's `storage:`). Rows are read in key
 * order; a vector is written only while the row's change column still holds the value read with
 * its text (the UPDATE takes the row lock and re-checks it), so a row the application changed
 * meanwhile is skipped and found again by the reconcile pass. Each write records the row's change
 * column and the vector's digest in Switchyard's `migration_row_versions`, in the batch's
 * transaction (with the checkpoint).
 */
import {
  quoteIdent,
  type SqlExecutor,
  type StoredDocument,
  type UpsertResult,
  type VectorStore,
} from '@switchyard/data';
import type { EmbeddingMigrationResource } from '../../../config/index.ts';
import type { EmbeddedBatch } from '../backfill/run.ts';
import type { BackfillTarget } from '../backfill/target.ts';
import { inspectAppTable, type AppTable } from './inspect.ts';
import { rowStates, rowToDoc, versionHash } from './row-state.ts';
import { castOf, vectorParam } from './vector-sql.ts';

type Row = { id: string; content: string; ver: string; vh: string | number };

export async function appTableTarget(store: VectorStore, plan: EmbeddingMigrationResource): Promise<BackfillTarget> {
  const t = await inspectAppTable(store.client, plan);
  const s = quoteIdent(store.schema);
  const args = [plan.migration, plan.to.index];
  const states = rowStates(t, s);
  const client = store.client;
  /** Rows of `states` matching `where`, after `cursor` in key order. */
  const page = async (where: string, cursor: string | null, limit: number): Promise<StoredDocument[]> => {
    const after = cursor === null ? '' : ` AND sort_key > $4`;
    const rows = await client.query<Row>(
      `SELECT id, content, ver, vh FROM ${states} WHERE ${where}${after} ORDER BY sort_key LIMIT $3`,
      cursor === null ? [...args, limit] : [...args, limit, cursor],
    );
    return rows.map(rowToDoc);
  };
  return {
    writeVectors: (tx, batch) => writeConditionally(tx.sql, t, s, args, batch),

    async countRange(after, upTo) {
      const where: string[] = [];
      const params: unknown[] = [];
      if (after !== null) where.push(`${t.key} > $${params.push(after)}`);
      if (upTo !== null) where.push(`${t.key} <= $${params.push(upTo)}`);
      const rows = await client.query<{ n: string | number }>(
        `SELECT count(*) AS n FROM ${t.table} WHERE ${[`${t.text} IS NOT NULL`, ...where].join(' AND ')}`,
        params,
      );
      return Number(rows[0]!.n);
    },

    async listAfter(cursor, limit) {
      const after = cursor === null ? '' : ` AND ${t.key} > $2`;
      const rows = await client.query<Row>(
        `SELECT ${t.key}::text AS id, ${t.text} AS content, coalesce(${t.updatedAt}::text, '') AS ver,
  ${versionHash(`coalesce(${t.updatedAt}::text, '')`)} AS vh FROM ${t.table}
WHERE ${t.text} IS NOT NULL${after} ORDER BY ${t.key} LIMIT $1`,
        cursor === null ? [limit] : [limit, cursor],
      );
      return rows.map(rowToDoc);
    },

    stale: (cursor, limit) => page('(absent OR stale) AND NOT dead', cursor, limit),
    deadLettered: (cursor, limit) => page('dead', cursor, limit),

    async clearResolvedDeadLetters() {
      // Resolved: the row is gone (or has no text any more), or holds a vector that is not stale.
      const rows = await client.query(
        `DELETE FROM ${s}.migration_dead_letters x WHERE x.migration = $1 AND x.target_index = $2
  AND NOT EXISTS (SELECT 1 FROM ${states} WHERE q.id = x.doc_id AND (q.absent OR q.stale))
RETURNING x.doc_id`,
        args,
      );
      return rows.length;
    },

    async deadLetterCount() {
      const rows = await client.query<{ n: string | number }>(
        `SELECT count(*) AS n FROM ${states} WHERE dead AND (absent OR stale)`,
        args,
      );
      return Number(rows[0]!.n);
    },
  };
}

/**
 * Writes each vector only while the row's change column still holds the value read with its text,
 * and records what was written in `migration_row_versions` (same transaction).
 */
async function writeConditionally(
  sql: SqlExecutor,
  t: AppTable,
  s: string,
  args: string[],
  batch: EmbeddedBatch,
): Promise<UpsertResult> {
  const versions = new Map(batch.docs.map((d) => [d.id, d.updatedAt]));
  const skipped: string[] = [];
  let written = 0;
  for (const row of batch.rows) {
    const done = await sql.query<{ ver: string; digest: string }>(
      `UPDATE ${t.table} SET ${t.to} = $2::${castOf(t.toKind)}
WHERE ${t.key} = $1 AND coalesce(${t.updatedAt}::text, '') = $3
RETURNING coalesce(${t.updatedAt}::text, '') AS ver, md5(${t.to}::text) AS digest`,
      [row.id, vectorParam(row.embedding, t.toKind), versions.get(row.id) ?? ''],
    );
    if (done.length === 0) {
      skipped.push(row.id);
      continue;
    }
    written++;
    // The change column as the UPDATE left it: an application trigger that bumps it on every
    // write has bumped it for ours too, and the vector is current for the text we read.
    await sql.query(
      `INSERT INTO ${s}.migration_row_versions (migration, target_index, row_key, source_version, vector_md5)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (migration, target_index, row_key) DO UPDATE SET source_version = EXCLUDED.source_version, vector_md5 = EXCLUDED.vector_md5, embedded_at = now()`,
      [...args, row.id, done[0]!.ver, done[0]!.digest],
    );
  }
  return { written, skipped };
}
