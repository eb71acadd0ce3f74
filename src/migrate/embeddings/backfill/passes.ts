/**
 * The three passes of a backfill, each a source of batches fed to the pipeline:
 * the keyset pass (every document after the checkpoint, in key order), the reconcile sweeps
 * (documents the target lacks or holds for an older text) and the dead-letter retry.
 */
import type { StoredDocument } from '@switchyard/data';
import { pipeline } from './pipeline.ts';
import type { BackfillRun } from './run.ts';

/** A batch source that remembers the last key it returned. */
function cursorOver(
  read: (cursor: string | null) => Promise<StoredDocument[]>,
  start: string | null,
  seen?: (docs: StoredDocument[]) => void,
): () => Promise<StoredDocument[]> {
  let cursor = start;
  return async () => {
    const docs = await read(cursor);
    if (docs.length > 0) {
      cursor = docs.at(-1)!.id;
      seen?.(docs);
    }
    return docs;
  };
}

/** Main pass: keyset from the checkpoint's last key, advancing the checkpoint with every batch. */
export async function keysetPass(run: BackfillRun, lastDocId: string | null): Promise<void> {
  const { target, options } = run;
  run.progress.resumed = lastDocId === null ? 0 : await target.countRange(null, lastDocId);
  run.progress.total = await target.countRange(lastDocId, null);
  run.emit();
  const next = cursorOver((cursor) => target.listAfter(cursor, options.settings.batchSize), lastDocId);
  await pipeline(run, next, 'embedded', true);
}

/**
 * Reconcile: documents the target lacks or holds for an older text (not dead-lettered). A few
 * sweeps: the application keeps writing while we run, but it dual-writes, so what a sweep finds
 * is only what fell through the cracks.
 */
export async function reconcilePass(run: BackfillRun): Promise<void> {
  const { target, options } = run;
  run.progress.stage = 'reconcile';
  // A dead letter the application's own write has since resolved (it indexed the document at a
  // newer version) would otherwise stay for ever: reconcile only visits missing or stale documents.
  await target.clearResolvedDeadLetters();
  for (let sweep = 0; sweep < 3 && !options.signal?.aborted; sweep++) {
    const before = run.report.batches;
    const next = cursorOver(
      (cursor) => target.stale(cursor, options.settings.batchSize),
      null,
      (docs) => (run.progress.total += docs.length),
    );
    await pipeline(run, next, 'reconciled', false);
    if (run.report.batches === before) break;
  }
}

/** Re-tries the dead letters that still matter (`--retry-dead-letters`). */
export async function deadLetterPass(run: BackfillRun): Promise<void> {
  const { target, options } = run;
  run.progress.stage = 'dead-letters';
  // Dead letters of deleted documents, or already indexed at or above their version, are moot.
  await target.clearResolvedDeadLetters();
  run.progress.total = await target.deadLetterCount();
  run.emit();
  const next = cursorOver((cursor) => target.deadLettered(cursor, options.settings.batchSize), null);
  await pipeline(run, next, 'reconciled', false);
}
