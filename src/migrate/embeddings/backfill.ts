/**
 * The backfill: re-embeds every document into the plan's target index.
 *
 * - Documents are read in keyset order (by id) in batches; up to `concurrency` batches have their
 *   embeddings request in flight, but batches *commit in order*, each in one transaction with its
 *   checkpoint row (last id, counts). A run killed at any instant therefore resumes exactly after
 *   the last committed batch: nothing is skipped and nothing is counted twice (a batch in flight is
 *   simply embedded again; the upsert is idempotent).
 * - Upserts go through the vector store's version rule, so a batch that read a document just
 *   before the application changed or deleted it cannot overwrite the newer vector or resurrect it.
 * - After the keyset pass a reconcile pass re-embeds any document the target lacks or holds at an
 *   version other than the current one (an application write that failed between storing and indexing, say), so the run
 *   ends with one current vector per document — except dead letters.
 * - Requests are paced by the plan's requests/tokens per minute; retryable failures (429, 5xx,
 *   network) are retried with exponential backoff, jitter and Retry-After. When retries run out the
 *   run stops (the service is down, not the documents: resume later). A request the API refuses
 *   (4xx) is split until the offending documents are isolated; those go to the dead-letter table.
 *
 * The steps live in `backfill/`: `run.ts` (state), `embed.ts`, `pipeline.ts`, `commit.ts`, `passes.ts`,
 * and `target.ts` (Switchyard's own tables, or the application's table a plan's `storage:` names).
 */
import { takeRunLock, type RunLock } from '../shared/run-lock.ts';
import { openTarget } from './backfill/target.ts';
import { deadLetterPass, keysetPass, reconcilePass } from './backfill/passes.ts';
import { startRun, StopRun, type BackfillOptions, type BackfillReport, type BackfillRun } from './backfill/run.ts';

export type { BackfillOptions, BackfillProgress, BackfillReport } from './backfill/run.ts';

/**
 * Runs (or resumes) the backfill. Never throws for API or document failures: see `status`/`error`
 * (a lost lock connection ends it as `failed` with `E_MIGRATE_LOCK_LOST`, progress kept). Throws
 * `RunLockError` before doing anything when the lock cannot be taken: `E_MIGRATE_RUNNING` (another
 * run holds it), `E_MIGRATE_LOCK_SESSION` (PostgreSQL without a `lock` option), `E_MIGRATE_STORE`.
 */
export async function runBackfill(options: BackfillOptions): Promise<BackfillReport> {
  const lock = await takeRunLock(options.store.client, options.lock, {
    kind: 'embeddings',
    schema: options.store.schema,
    migration: `${options.plan.migration}:${options.plan.to.index}`,
  });
  try {
    return await backfill(options, lock);
  } finally {
    await lock?.release();
  }
}

async function backfill(options: BackfillOptions, lock: RunLock | null): Promise<BackfillReport> {
  const started = Date.now();
  const run = startRun(options, lock, await openTarget(options.store, options.plan));
  try {
    await runPasses(run);
  } catch (error) {
    recordFailure(run, error);
  }
  const { store, plan } = options;
  const { report, cp } = run;
  report.checkpoint = await cp.load(store.client, plan.migration, plan.to.index).catch(() => undefined);
  report.deadLetters = await run.target.deadLetterCount().catch(() => report.deadLettered);
  report.durationMs = Date.now() - started;
  return report;
}

/** The checkpoint row, then the passes the options ask for, then the checkpoint's status. */
async function runPasses(run: BackfillRun): Promise<void> {
  const { store, plan, retryDeadLetters, reconcileOnly, signal } = run.options;
  const { s } = run;
  // The checkpoint row: created on the first run, counted on every later one.
  await store.client.query(
    `INSERT INTO ${s}.migration_checkpoints (migration, target_index) VALUES ($1, $2)
ON CONFLICT (migration, target_index) DO UPDATE SET runs = migration_checkpoints.runs + 1, updated_at = now()`,
    [plan.migration, plan.to.index],
  );
  const saved = (await run.cp.load(store.client, plan.migration, plan.to.index))!;
  if (retryDeadLetters) {
    await deadLetterPass(run);
  } else {
    const keyset = saved.status === 'running' && !reconcileOnly;
    run.report.resumedFrom = keyset ? saved.lastDocId : null;
    if (keyset) await keysetPass(run, saved.lastDocId);
    await reconcilePass(run);
  }
  if (signal?.aborted) {
    run.report.status = 'stopped';
  } else if (!retryDeadLetters) {
    await store.client.query(
      `UPDATE ${s}.migration_checkpoints SET status = 'complete', finished_at = now(), updated_at = now() WHERE migration = $1 AND target_index = $2`,
      [plan.migration, plan.to.index],
    );
  }
}

/** A stop by the signal is `stopped`; anything else `failed` with an `E_…` code. */
function recordFailure(run: BackfillRun, error: unknown): void {
  if (run.options.signal?.aborted) {
    run.report.status = 'stopped';
    return;
  }
  run.report.status = 'failed';
  const code = error instanceof StopRun ? error.code : ((error as { code?: string }).code ?? 'E_MIGRATE_STORE');
  run.report.error = {
    code: typeof code === 'string' && code.startsWith('E_') ? code : 'E_MIGRATE_STORE',
    message: (error as Error).message,
  };
}
