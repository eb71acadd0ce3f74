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
 */
import { quoteIdent } from '@switchyard/data';
import type { Embedder, EmbeddingRow, StoredDocument, VectorStore } from '@switchyard/data';
import type { EmbeddingError } from './embedder.ts';
import { backoffDelay, sleep, type BackoffOptions } from '../shared/backoff.ts';
import { estimateTokens, RateLimiter, splitForBudget } from '../shared/rate-limit.ts';
import { takeRunLock, type RunLock, type RunLockOption } from '../shared/run-lock.ts';
import { checkpointQueries, ts, type CheckpointRow } from './checkpoint.ts';
import type { BackfillSettings } from './plan.ts';
import type { EmbeddingMigrationResource } from '../../config/index.ts';

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

interface Failure {
  doc: StoredDocument;
  code: string;
  message: string;
  attempts: number;
}

interface EmbeddedBatch {
  docs: StoredDocument[];
  rows: EmbeddingRow[];
  failures: Failure[];
}

/** Raised to stop the run: the service is unavailable or the plan is wrong. */
class StopRun extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

/** Errors the documents cannot cause: retrying or splitting will not help, the run stops. */
function stopsTheRun(error: EmbeddingError): boolean {
  if (error.retryable) return true; // retries exhausted
  if (error.code === 'E_EMBED_DIMENSION' || error.code === 'E_EMBED_RESPONSE') return true;
  return error.status === undefined || error.status === 401 || error.status === 403 || error.status === 404;
}

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
  const { store, embedder, plan, settings } = options;
  const started = Date.now();
  const s = quoteIdent(store.schema);
  const to = plan.to;
  const migration = plan.migration;
  const limiter =
    options.limiter ??
    new RateLimiter({ requestsPerMinute: settings.requestsPerMinute, tokensPerMinute: settings.tokensPerMinute });
  const cp = checkpointQueries(store);
  const report: BackfillReport = {
    migration,
    targetIndex: to.index,
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
  const emit = () => options.onProgress?.({ ...progress, retries: report.retries, deadLetters: report.deadLettered });

  await store.ensureIndex(to);
  const target = await store.tableOf(to.index);

  // --- embedding with pacing, retries and isolation of refused documents ---
  async function embedTexts(texts: string[]): Promise<Float32Array[]> {
    // A batch estimated above the whole per-minute token budget goes as several requests, one
    // after the other, each paced (sending it at once would overshoot the budget and earn 429s).
    const groups = splitForBudget(texts, limiter.tokenBudget);
    if (groups.length > 1) {
      const out: Float32Array[] = [];
      for (const group of groups) out.push(...(await embedTexts(group)));
      return out;
    }
    const estimate = estimateTokens(texts);
    for (let attempt = 0; ; attempt++) {
      await limiter.acquire(estimate, options.signal);
      report.requests++;
      try {
        // No signal for the request itself: a stop lets requests in flight finish (bounded by the
        // client's timeout) and only prevents new ones — and the SDK keeps a listener per request.
        const result = await embedder.embedWithUsage(to.model, to.dimension, texts);
        // The estimate was a guess (characters/4): the API's count corrects the schedule.
        limiter.settle(estimate, result.promptTokens);
        return result.vectors;
      } catch (error) {
        if (options.signal?.aborted) throw error;
        const e = error as EmbeddingError;
        if (!e.retryable || attempt >= settings.maxRetries) throw e;
        report.retries++;
        await sleep(backoffDelay(attempt, { ...options.backoff, retryAfterMs: e.retryAfterMs }), options.signal);
      }
    }
  }

  async function embedDocs(docs: StoredDocument[]): Promise<EmbeddedBatch> {
    try {
      const vectors = await embedTexts(docs.map((d) => d.content));
      return {
        docs,
        rows: docs.map((d, i) => ({ id: d.id, version: d.version, embedding: vectors[i]! })),
        failures: [],
      };
    } catch (error) {
      if (options.signal?.aborted) throw error;
      const e = error as EmbeddingError;
      if (stopsTheRun(e)) {
        throw new StopRun(
          e.code ?? 'E_EMBED_NETWORK',
          `${e.message}${e.retryable ? ` (after ${settings.maxRetries} retries; run again to resume)` : ''}`,
        );
      }
      if (docs.length === 1)
        return {
          docs,
          rows: [],
          failures: [{ doc: docs[0]!, code: e.code, message: e.message.slice(0, 1000), attempts: 1 }],
        };
      // The API refused the request: split it to find the documents it is about.
      const half = Math.ceil(docs.length / 2);
      const [a, b] = [await embedDocs(docs.slice(0, half)), await embedDocs(docs.slice(half))];
      return { docs, rows: [...a.rows, ...b.rows], failures: [...a.failures, ...b.failures] };
    }
  }

  /**
   * Once the lock's connection is gone another run may start alongside: stop before the next
   * commit (committed batches are kept; the batch in flight is embedded again on resume).
   */
  function checkLock(): void {
    if (lock?.lost) {
      throw new StopRun(
        'E_MIGRATE_LOCK_LOST',
        `the connection holding the run lock dropped; stopped, since another run could now start alongside. Progress up to the last committed batch is saved: run again to resume`,
      );
    }
  }

  // --- one transaction per batch: vectors, dead letters, checkpoint ---
  async function commit(
    batch: EmbeddedBatch,
    advanceTo: string | null,
    counter: 'embedded' | 'reconciled',
  ): Promise<void> {
    checkLock();
    const outcome = await store.transaction(async (tx) => {
      const result = await tx.upsertEmbeddings(to.index, batch.rows);
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
    });
    if (counter === 'embedded') report.embedded += outcome.written.length;
    else {
      report.reconciled += outcome.written.length;
      for (const id of outcome.written) if (report.reconciledIds.length < 100) report.reconciledIds.push(id);
    }
    report.skipped += outcome.skipped;
    report.deadLettered += batch.failures.length;
    report.batches++;
    progress.done += batch.docs.length;
    emit();
  }

  /**
   * Pipelines `next()` (sequential reads) through embedDocs with up to `concurrency` in flight,
   * committing strictly in read order.
   */
  async function pipeline(
    next: () => Promise<StoredDocument[]>,
    counter: 'embedded' | 'reconciled',
    advance: boolean,
  ): Promise<void> {
    const queue: Array<{ work: Promise<EmbeddedBatch>; last: string }> = [];
    let exhausted = false;
    try {
      for (;;) {
        checkLock();
        while (!exhausted && queue.length < settings.concurrency && !options.signal?.aborted) {
          const docs = await next();
          if (docs.length === 0) {
            exhausted = true;
            break;
          }
          const work = embedDocs(docs);
          work.catch(() => {}); // awaited in order below; avoid an unhandled rejection meanwhile
          queue.push({ work, last: docs.at(-1)!.id });
        }
        const head = queue.shift();
        if (!head) break;
        const batch = await head.work;
        await commit(batch, advance ? head.last : null, counter);
        if (options.signal?.aborted) break;
      }
    } finally {
      await Promise.allSettled(queue.map((q) => q.work));
    }
  }

  try {
    // The checkpoint row: created on the first run, counted on every later one.
    await store.client.query(
      `INSERT INTO ${s}.migration_checkpoints (migration, target_index) VALUES ($1, $2)
ON CONFLICT (migration, target_index) DO UPDATE SET runs = migration_checkpoints.runs + 1, updated_at = now()`,
      [migration, to.index],
    );
    const saved = (await cp.load(store.client, migration, to.index))!;

    if (options.retryDeadLetters) {
      progress.stage = 'dead-letters';
      // Dead letters of deleted documents, or already indexed at or above their version, are moot.
      await cp.clearResolvedDeadLetters(store.client, migration, to.index);
      progress.total = await cp.deadLetterCount(store.client, migration, to.index);
      emit();
      let after = '';
      await pipeline(
        async () => {
          const rows = await store.client.query<Record<string, unknown>>(
            `SELECT d.id, d.tenant, d.content, d.metadata, d.version, d.updated_at FROM ${s}.migration_dead_letters x JOIN ${s}.documents d ON d.id = x.doc_id
WHERE x.migration = $1 AND x.target_index = $2 AND x.doc_id > $3 ORDER BY x.doc_id LIMIT $4`,
            [migration, to.index, after, settings.batchSize],
          );
          const docs = rows.map(toDoc);
          if (docs.length > 0) after = docs.at(-1)!.id;
          return docs;
        },
        'reconciled',
        false,
      );
    } else {
      report.resumedFrom = saved.status === 'running' && !options.reconcileOnly ? saved.lastDocId : null;
      if (saved.status === 'running' && !options.reconcileOnly) {
        // Main pass: keyset from the checkpoint.
        progress.resumed = saved.lastDocId === null ? 0 : await countDocs(store, s, null, saved.lastDocId);
        progress.total = await countDocs(store, s, saved.lastDocId, null);
        emit();
        let cursor = saved.lastDocId;
        await pipeline(
          async () => {
            const docs = await store.listDocuments(cursor, settings.batchSize);
            if (docs.length > 0) cursor = docs.at(-1)!.id;
            return docs;
          },
          'embedded',
          true,
        );
      }
      // Reconcile: documents the target lacks or holds at another version (not dead-lettered at
      // their current version). A few sweeps: the application keeps writing while we run, but it
      // dual-writes, so what a sweep finds is only what fell through the cracks.
      progress.stage = 'reconcile';
      // A dead letter the application's own write has since resolved (it indexed the document at a
      // newer version) would otherwise stay for ever: reconcile only visits missing or stale documents.
      await cp.clearResolvedDeadLetters(store.client, migration, to.index);
      for (let sweep = 0; sweep < 3 && !options.signal?.aborted; sweep++) {
        let after = '';
        const before = report.batches;
        await pipeline(
          async () => {
            const rows = await store.client.query<Record<string, unknown>>(
              `SELECT d.id, d.tenant, d.content, d.metadata, d.version, d.updated_at FROM ${s}.documents d
LEFT JOIN ${target} e ON e.doc_id = d.id
WHERE d.id > $3 AND (e.doc_id IS NULL OR e.version <> d.version)
  AND NOT EXISTS (SELECT 1 FROM ${s}.migration_dead_letters x WHERE x.migration = $1 AND x.target_index = $2 AND x.doc_id = d.id AND x.version = d.version)
ORDER BY d.id LIMIT $4`,
              [migration, to.index, after, settings.batchSize],
            );
            const docs = rows.map(toDoc);
            if (docs.length > 0) {
              after = docs.at(-1)!.id;
              progress.total += docs.length;
            }
            return docs;
          },
          'reconciled',
          false,
        );
        if (report.batches === before) break;
      }
    }
    if (options.signal?.aborted) {
      report.status = 'stopped';
    } else if (!options.retryDeadLetters) {
      await store.client.query(
        `UPDATE ${s}.migration_checkpoints SET status = 'complete', finished_at = now(), updated_at = now() WHERE migration = $1 AND target_index = $2`,
        [migration, to.index],
      );
    }
  } catch (error) {
    if (options.signal?.aborted) {
      report.status = 'stopped';
    } else {
      report.status = 'failed';
      const code = error instanceof StopRun ? error.code : ((error as { code?: string }).code ?? 'E_MIGRATE_STORE');
      report.error = {
        code: typeof code === 'string' && code.startsWith('E_') ? code : 'E_MIGRATE_STORE',
        message: (error as Error).message,
      };
    }
  }
  report.checkpoint = await cp.load(store.client, migration, to.index).catch(() => undefined);
  report.deadLetters = await cp.deadLetterCount(store.client, migration, to.index).catch(() => report.deadLettered);
  report.durationMs = Date.now() - started;
  return report;
}

async function countDocs(store: VectorStore, s: string, after: string | null, upTo: string | null): Promise<number> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (after !== null) where.push(`id > $${params.push(after)}`);
  if (upTo !== null) where.push(`id <= $${params.push(upTo)}`);
  const rows = await store.client.query<{ n: string | number }>(
    `SELECT count(*) AS n FROM ${s}.documents ${where.length ? `WHERE ${where.join(' AND ')}` : ''}`,
    params,
  );
  return Number(rows[0]!.n);
}

function toDoc(r: Record<string, unknown>): StoredDocument {
  return {
    id: String(r.id),
    tenant: (r.tenant as string | null) ?? null,
    content: String(r.content),
    metadata:
      typeof r.metadata === 'string'
        ? (JSON.parse(r.metadata) as Record<string, unknown>)
        : ((r.metadata as Record<string, unknown>) ?? {}),
    version: Number(r.version),
    updatedAt: ts(r.updated_at) ?? '',
  };
}
