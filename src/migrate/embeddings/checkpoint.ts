/**
 * The runner's bookkeeping rows: the checkpoint of a backfill (one row per migration and target
 * index, changed in the same transaction as each batch's vectors) and the dead letters. Shared by
 * the backfill, `--advance` (is the backfill complete?) and `--status`.
 */
import { quoteIdent, type SqlExecutor } from '@switchyard/data';
import type { VectorStore } from '@switchyard/data';

/** A backfill's checkpoint: where it is and what it did, cumulative over every run. */
export interface CheckpointRow {
  /** Id of the last document of the last committed batch (keyset cursor); null before the first batch. */
  lastDocId: string | null;
  /** `running` until the keyset pass and the reconcile pass have finished, then `complete`. */
  status: string;
  /** Vectors written by the keyset pass. */
  embedded: number;
  /** Documents not written because the application had changed or deleted them meanwhile. */
  skipped: number;
  /** Vectors written by reconcile passes and dead-letter retries. */
  reconciled: number;
  /** Batches committed. */
  batches: number;
  /** Runs that used this checkpoint (1 for an uninterrupted backfill). */
  runs: number;
  startedAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

/** ISO string of a timestamp column (PGlite gives Date, `pg` gives Date, strings elsewhere), or null. */
export const ts = (v: unknown): string | null =>
  v === null || v === undefined ? null : v instanceof Date ? v.toISOString() : new Date(String(v)).toISOString();

/**
 * SQL condition "document `d` is dead-lettered at its current version and the target has no
 * vector of that version" — the only dead letters that explain a gap. `$1` is the migration, `$2`
 * the target index; `target` the quoted target table.
 */
export function outstandingDeadLetter(s: string, target: string): string {
  return `(EXISTS (SELECT 1 FROM ${s}.migration_dead_letters x WHERE x.migration = $1 AND x.target_index = $2 AND x.doc_id = d.id AND x.version = d.version)
  AND NOT EXISTS (SELECT 1 FROM ${target} c WHERE c.doc_id = d.id AND c.version = d.version))`;
}

export function checkpointQueries(store: VectorStore) {
  const s = quoteIdent(store.schema);
  return {
    async load(sql: SqlExecutor, migration: string, target: string): Promise<CheckpointRow | undefined> {
      const rows = await sql.query<Record<string, unknown>>(
        `SELECT * FROM ${s}.migration_checkpoints WHERE migration = $1 AND target_index = $2`,
        [migration, target],
      );
      const r = rows[0];
      if (!r) return undefined;
      return {
        lastDocId: (r.last_doc_id as string | null) ?? null,
        status: String(r.status),
        embedded: Number(r.embedded),
        skipped: Number(r.skipped),
        reconciled: Number(r.reconciled),
        batches: Number(r.batches),
        runs: Number(r.runs),
        startedAt: ts(r.started_at)!,
        updatedAt: ts(r.updated_at)!,
        finishedAt: ts(r.finished_at),
      };
    },

    /**
     * Dead letters that still matter: at the document's current version, with no vector of that
     * version in the target. (A dead letter of an older version, or one the application's own
     * write has since indexed, explains nothing.) All rows when the target index does not exist.
     */
    async deadLetterCount(sql: SqlExecutor, migration: string, target: string): Promise<number> {
      const table = (await store.getIndex(target)) ? await store.tableOf(target) : undefined;
      const rows = table
        ? await sql.query<{ n: string | number }>(
            `SELECT count(*) AS n FROM ${s}.documents d WHERE ${outstandingDeadLetter(s, table)}`,
            [migration, target],
          )
        : await sql.query<{ n: string | number }>(
            `SELECT count(*) AS n FROM ${s}.migration_dead_letters WHERE migration = $1 AND target_index = $2`,
            [migration, target],
          );
      return Number(rows[0]!.n);
    },

    /**
     * Deletes the dead letters that are resolved: the document is gone, or the target holds a
     * vector at or above the dead-lettered version (the application re-indexed it, say). Returns
     * how many went.
     */
    async clearResolvedDeadLetters(sql: SqlExecutor, migration: string, target: string): Promise<number> {
      const table = await store.tableOf(target);
      const rows = await sql.query(
        `DELETE FROM ${s}.migration_dead_letters x WHERE x.migration = $1 AND x.target_index = $2
  AND (NOT EXISTS (SELECT 1 FROM ${s}.documents d WHERE d.id = x.doc_id) OR EXISTS (SELECT 1 FROM ${table} e WHERE e.doc_id = x.doc_id AND e.version >= x.version))
RETURNING x.doc_id`,
        [migration, target],
      );
      return rows.length;
    },
  };
}
