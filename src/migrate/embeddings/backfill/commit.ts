/**
 * One transaction per batch: its vectors (under the store's write rule), its dead letters and the
 * checkpoint, so a killed run resumes exactly after the last committed batch
 * (docs/ARCHITECTURE.md, invariant 10).
 */
import type { VectorTransaction } from '@switchyard/data';
import { checkLock, type BackfillRun, type EmbeddedBatch } from './run.ts';

export type Counter = 'embedded' | 'reconciled';

/** Commits a batch; `advanceTo` moves the keyset cursor (null: leave it). */
export async function commitBatch(
  run: BackfillRun,
  batch: EmbeddedBatch,
  advanceTo: string | null,
  counter: Counter,
): Promise<void> {
  checkLock(run);
  const outcome = await run.options.store.transaction((tx) => writeBatch(run, tx, batch, advanceTo, counter));
  const { report, progress } = run;
  if (counter === 'embedded') report.embedded += outcome.written.length;
  else {
    report.reconciled += outcome.written.length;
    for (const id of outcome.written) if (report.reconciledIds.length < 100) report.reconciledIds.push(id);
  }
  report.skipped += outcome.skipped;
  report.deadLettered += batch.failures.length;
  report.batches++;
  progress.done += batch.docs.length;
  run.emit();
}

async function writeBatch(
  run: BackfillRun,
  tx: VectorTransaction,
  batch: EmbeddedBatch,
  advanceTo: string | null,
  counter: Counter,
): Promise<{ written: string[]; skipped: number }> {
  const { s } = run;
  const { migration, to } = run.options.plan;
  const result = await run.target.writeVectors(tx, batch);
  const skipped = new Set(result.skipped);
  const written = batch.rows.map((r) => r.id).filter((id) => !skipped.has(id));
  if (written.length > 0) {
    await tx.sql.query(
      `DELETE FROM ${s}.migration_dead_letters WHERE migration = $1 AND target_index = $2 AND doc_id = ANY($3::text[])`,
      [migration, to.index, written],
    );
  }
  for (const f of batch.failures) {
    await tx.sql.query(
      `INSERT INTO ${s}.migration_dead_letters AS x (migration, target_index, doc_id, version, code, message, attempts)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (migration, target_index, doc_id) DO UPDATE SET version = EXCLUDED.version, code = EXCLUDED.code, message = EXCLUDED.message,
  attempts = x.attempts + EXCLUDED.attempts, last_failed_at = now()`,
      [migration, to.index, f.doc.id, f.doc.version, f.code, f.message, f.attempts],
    );
  }
  await tx.sql.query(
    `UPDATE ${s}.migration_checkpoints SET last_doc_id = COALESCE($3, last_doc_id), ${counter} = ${counter} + $4, skipped = skipped + $5, batches = batches + 1, updated_at = now()
WHERE migration = $1 AND target_index = $2`,
    [migration, to.index, advanceTo, written.length, result.skipped.length],
  );
  return { written, skipped: result.skipped.length };
}
