/**
 * One backfill run's state, shared by its steps: the options, the pacing, the report and progress
 * it fills in, and the run lock it must still hold before every commit.
 */
import { quoteIdent } from '@switchyard/data';
import { SwitchyardError } from '../../../errors/index.ts';
import type { Embedder, EmbeddingRow, StoredDocument, VectorStore } from '@switchyard/data';
import type { BackoffOptions } from '../../shared/backoff.ts';
import { RateLimiter } from '../../shared/rate-limit.ts';
import type { RunLock, RunLockOption } from '../../shared/run-lock.ts';
import { checkpointQueries, type CheckpointRow } from '../checkpoint.ts';
import type { BackfillSettings } from '../plan.ts';
import type { BackfillTarget } from './target.ts';
import type { EmbeddingMigrationResource } from '../../../config/index.ts';

export interface BackfillProgress {
  /** Documents settled (written, skipped or dead-lettered) in this run. */
  done: number;
  /** Documents this run expects to visit (grows when the reconcile pass finds more). */
  total: number;
  /** Documents the checkpoint already covered when this run started. */
  resumed: number;
  stage: 'backfill' | 'reconcile' | 'dead-letters';
  deadLetters: number;
  retries: number;
}

export interface BackfillOptions {
  store: VectorStore;
  embedder: Embedder;
  plan: EmbeddingMigrationResource;
  settings: BackfillSettings;
  /** Only re-try the documents in the dead-letter table. */
  retryDeadLetters?: boolean;
  /**
   * Skip the keyset pass: only reconcile (documents the target lacks or holds at another version).
   * What `--repair-old` runs against the old index, which the application has been writing all along.
   */
  reconcileOnly?: boolean;
  /** Stops after the batches already committing (the checkpoint keeps the progress). */
  signal?: AbortSignal;
  onProgress?: (progress: BackfillProgress) => void;
  backoff?: BackoffOptions;
  /** The pacing (default: one from the settings' requests/tokens per minute). */
  limiter?: RateLimiter;
  /**
   * The single-runner lock per (schema, migration, target index), held for the run
   * (shared/run-lock.ts). PGlite: omit it (taken on the store's client). PostgreSQL:
   * `{ connectionString }` (the run opens and closes a connection of its own for it), a session
   * from `openLockSession(url, 'embeddings')`, or `false` when something else guarantees a single
   * runner; omitted there, `runBackfill` throws `E_MIGRATE_LOCK_SESSION`.
   */
  lock?: RunLockOption;
}

export interface BackfillReport {
  migration: string;
  targetIndex: string;
  status: 'complete' | 'stopped' | 'failed';
  /** Last document id of the checkpoint this run resumed after (null: started from the beginning). */
  resumedFrom: string | null;
  /** In this run. */
  embedded: number;
  skipped: number;
  reconciled: number;
  /**
   * The first 100 documents the reconcile pass (or a dead-letter retry) wrote: what fell through
   * the cracks — an application write that stored a document but did not index it, say.
   */
  reconciledIds: string[];
  deadLettered: number;
  batches: number;
  requests: number;
  retries: number;
  durationMs: number;
  /** Cumulative over every run, from the checkpoint row. */
  checkpoint: CheckpointRow | undefined;
  /** Documents in the dead-letter table now (for this migration and target). */
  deadLetters: number;
  error?: { code: string; message: string };
}

/** A document the embeddings API refused (after splitting its request down to it). */
export interface Failure {
  doc: StoredDocument;
  code: string;
  message: string;
  attempts: number;
}

/** A batch after its embeddings request: the vectors to write and the documents refused. */
export interface EmbeddedBatch {
  docs: StoredDocument[];
  rows: EmbeddingRow[];
  failures: Failure[];
}

/** Raised to stop the run: the service is unavailable or the plan is wrong. */
export class StopRun extends SwitchyardError {
  override name = 'StopRun';
}

/** The state of one run. */
export interface BackfillRun {
  readonly options: BackfillOptions;
  /** The quoted schema of the store. */
  readonly s: string;
  readonly limiter: RateLimiter;
  readonly cp: ReturnType<typeof checkpointQueries>;
  readonly report: BackfillReport;
  readonly progress: BackfillProgress;
  readonly lock: RunLock | null;
  /** Where documents are read and vectors written. */
  readonly target: BackfillTarget;
  /** Reports progress to `onProgress`. */
  emit(): void;
}

export function startRun(options: BackfillOptions, lock: RunLock | null, target: BackfillTarget): BackfillRun {
  const { store, plan, settings } = options;
  const report: BackfillReport = {
    migration: plan.migration,
    targetIndex: plan.to.index,
    status: 'complete',
    resumedFrom: null,
    embedded: 0,
    skipped: 0,
    reconciled: 0,
    reconciledIds: [],
    deadLettered: 0,
    batches: 0,
    requests: 0,
    retries: 0,
    durationMs: 0,
    checkpoint: undefined,
    deadLetters: 0,
  };
  const progress: BackfillProgress = { done: 0, total: 0, resumed: 0, stage: 'backfill', deadLetters: 0, retries: 0 };
  return {
    options,
    s: quoteIdent(store.schema),
    limiter:
      options.limiter ??
      new RateLimiter({ requestsPerMinute: settings.requestsPerMinute, tokensPerMinute: settings.tokensPerMinute }),
    cp: checkpointQueries(store),
    report,
    progress,
    lock,
    target,
    emit: () => options.onProgress?.({ ...progress, retries: report.retries, deadLetters: report.deadLettered }),
  };
}

/**
 * Once the lock's connection is gone another run may start alongside: stop before the next
 * commit (committed batches are kept; the batch in flight is embedded again on resume).
 */
export function checkLock(run: BackfillRun): void {
  if (run.lock?.lost) {
    throw new StopRun(
      'E_MIGRATE_LOCK_LOST',
      `the connection holding the run lock dropped; stopped, since another run could now start alongside. Progress up to the last committed batch is saved: run again to resume`,
    );
  }
}
