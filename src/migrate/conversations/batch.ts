/**
 * One batch of the background run: account for what was read (per-version counts, change summary,
 * dry-run samples, problems), then — unless it is a dry run — write it together with its
 * checkpoint in one transaction, retrying a failed transaction with backoff.
 */
import { diffRecords, summarizeChange } from './changes.ts';
import { versionKey, type Classified } from './classify.ts';
import { add, zero } from './counters.ts';
import { MigrateError } from './errors.ts';
import { noteProblem, type RunState } from './run-state.ts';
import { writeBatch, type BatchResult } from './write-batch.ts';
import { backoffDelay, sleep } from '../shared/backoff.ts';
import type { Counters } from './types.ts';

/** Delay ceilings for retrying a failed batch transaction: 500 ms, 1 s, 2 s … (full jitter, shared with the embeddings runner), at most 5 s. */
const BATCH_BACKOFF = { baseMs: 500, maxMs: 5000 };

/** Waits, returning early when the run is stopped (the loop then sees the signal). */
export async function pause(s: RunState, ms: number): Promise<void> {
  await sleep(ms, s.options.signal).catch(() => {});
}

/** Counts what the batch read into the report; returns the batch's counters so far. */
export function examineBatch(s: RunState, classified: Classified[]): Counters {
  const r = s.report;
  const batch = zero();
  batch.scanned = classified.length;
  for (const k of classified) {
    const key = versionKey(k.row.record);
    r.byVersion[key] = (r.byVersion[key] ?? 0) + 1;
    if (k.kind === 'current') batch.current++;
    else if (k.kind === 'failed') {
      batch.failed++;
      noteProblem(s, k.problem);
    } else {
      summarizeChange(r.changes, s.m, k.before, k.after);
      if (s.dryRun && r.samples.length < (s.options.sampleSize ?? 3))
        r.samples.push({ id: k.row.id, diff: diffRecords(s.m, k.before, k.after) });
    }
  }
  return batch;
}

/**
 * Writes the batch and its checkpoint (at `lastId`) in one transaction, up to `batchAttempts`
 * times. Null when the run was stopped while waiting to retry (nothing of the batch committed).
 */
export async function commitBatch(
  s: RunState,
  classified: Classified[],
  batch: Counters,
  lastId: string,
): Promise<BatchResult | null> {
  const attempts = s.options.batchAttempts ?? 3;
  for (let attempt = 1; ; attempt++) {
    try {
      return await s.client.transaction(async (tx) => {
        const r = await writeBatch(tx, s.table, s.m, classified);
        const total = add(add(s.base, s.report.counters), { ...add(batch, r.counters), conflicts: 0 });
        await s.cp.save(tx, s.m.id, lastId, total, 'running');
        return r;
      });
    } catch (error) {
      if (attempt >= attempts) {
        throw new MigrateError(
          'E_MIGRATE_BATCH',
          `batch after '${s.cursor ?? '(start)'}' failed ${attempts} times (${(error as Error).message}); progress up to there is saved: run again to resume`,
          { cause: error },
        );
      }
      await pause(s, backoffDelay(attempt - 1, BATCH_BACKOFF));
      // Stopped while waiting to retry: this batch is not committed, the checkpoint is before it.
      if (s.options.signal?.aborted) return null;
    }
  }
}
