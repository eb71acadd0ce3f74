/**
 * The background conversation schema migration (docs/guides/conversation-migration.md, SchemaMigration; the article's
 * "Conversation Context Migration"): walks the records not yet at the plan's `to` version in id
 * order (keyset, `batchSize` per batch), upgrades each with the runtime's pure `upgradeRecord` — the
 * same function the lazy read path uses — and writes a batch with one conditional statement: a row
 * is written only if its revision is still the one read, so an application write that happened
 * meanwhile is never overwritten (the row is read again and upgraded on top of that write).
 *
 * The batch's writes and its checkpoint commit in one transaction, so a run killed at any moment
 * resumes exactly after the last committed batch; and since upgrading is idempotent and rows at `to`
 * are skipped, running it again (or twice) changes nothing more.
 *
 * A dry run reads the same pages and writes nothing.
 */
import type { PayloadSchemaMigration } from '@switchyard/runtime';
import { upgradeRecord } from '@switchyard/runtime';
import {
  DEFAULT_CONVERSATION_SCHEMA,
  checkSchemaName,
  conversationSql,
  migrateConversationStore,
  type ConversationRow,
  type ConversationSql,
} from '@switchyard/data';
import { quoteIdent, type SqlClient, type SqlExecutor } from '@switchyard/data';
import { diffRecords, emptySummary, summarizeChange, type ChangeSummary, type DiffEntry } from './changes.ts';
import { backoffDelay, sleep } from '../shared/backoff.ts';
import { MigrateError } from './errors.ts';
import { RunLockError, takeRunLock, type RunLock, type RunLockOption } from '../shared/run-lock.ts';

export interface RunOptions {
  migration: PayloadSchemaMigration;
  schema?: string;
  /** Read and report only; nothing is written (not even the tables or a checkpoint). */
  dryRun?: boolean;
  /** Records per batch (default: the plan's `batchSize`). */
  batchSize?: number;
  /** Pause between batches, leaving the database to the application (default 0). */
  pauseMs?: number;
  /** Ignore a checkpoint of an unfinished run and start from the first record. */
  restart?: boolean;
  /** Records whose diff the dry run shows (default 3). */
  sampleSize?: number;
  /** Problem records listed by id (all are counted; default 50). */
  maxProblems?: number;
  /** Attempts for a batch whose transaction fails (connection lost …) before giving up (default 3). */
  batchAttempts?: number;
  onProgress?: (progress: Progress) => void;
  /** Stops after the current batch (the checkpoint is kept: run again to resume). */
  signal?: AbortSignal;
  /**
   * The single-runner lock (shared/run-lock.ts; a dry run takes none). PGlite: omit it (the client
   * is the session). PostgreSQL: `{ connectionString }` (the run opens and closes a connection for
   * it), a session from `openLockSession(url, 'conversations')`, or `false` when something else
   * guarantees a single runner; omitted there, the run is refused with `E_MIGRATE_LOCK_SESSION`.
   */
  lock?: RunLockOption;
}

export interface Progress {
  migration: string;
  dryRun: boolean;
  /** Records examined by this invocation. */
  scanned: number;
  /** Records below (or away from) the target version when this invocation started, after the checkpoint. */
  pending: number;
  /** Records examined before the interruption this invocation resumed from (0 without a resume). */
  resumed: number;
  upgraded: number;
  failed: number;
  elapsedMs: number;
  done: boolean;
}

export interface Counters {
  /** Records read that were not at `to`. */
  scanned: number;
  /** Upgraded and written (dry run: would be). */
  upgraded: number;
  /** Read below `to`, but at `to` by the time they were written (the application's lazy read got there first). */
  current: number;
  /** Cannot be upgraded (not an object, unexpected version, numbers beyond double precision): left untouched. */
  failed: number;
  /** Rows written again because the application changed them between read and write. */
  retried: number;
  /** Rows still changing after every retry: left for the lazy path or the next run. */
  conflicts: number;
}

export interface Problem {
  id: string;
  code: 'NOT_AN_OBJECT' | 'VERSION_MISMATCH' | 'INVALID_ARGUMENT' | 'NUMBER_PRECISION';
  message: string;
  /** The record's `schemaVersion` as stored (JSON text; `missing` when absent). */
  version: string;
}

export interface MigrationReport {
  migration: string;
  entity: string;
  from: number;
  to: number;
  mode: 'lazy' | 'background';
  dryRun: boolean;
  schema: string;
  backend: 'pglite' | 'postgres';
  batchSize: number;
  /** Counts per stored schema version before the run (`null`: no integer schemaVersion). */
  before: Array<{ schemaVersion: number | null; count: number }>;
  total: number;
  /** Set when this invocation continued an interrupted run. */
  resumed: { after: string; counters: Counters } | null;
  /** This invocation. */
  counters: Counters;
  /** The whole run, interrupted parts included (equals `counters` without a resume; dry run: this invocation). */
  cumulative: Counters;
  /** Per stored `schemaVersion` of the records examined (JSON text; `missing` when absent). */
  byVersion: Record<string, number>;
  changes: ChangeSummary;
  problems: Problem[];
  problemsByCode: Record<string, number>;
  samples: Array<{ id: string; diff: DiffEntry[] }>;
  /** Records not at `to` after the run (dry run: before). Includes the failed ones. */
  remaining: number;
  complete: boolean;
  interrupted: boolean;
  durationMs: number;
  recordsPerSecond: number;
}

export { MigrateError };

const MAX_RETRY_ROUNDS = 5;

const zero = (): Counters => ({ scanned: 0, upgraded: 0, current: 0, failed: 0, retried: 0, conflicts: 0 });
const add = (a: Counters, b: Counters): Counters => ({
  scanned: a.scanned + b.scanned,
  upgraded: a.upgraded + b.upgraded,
  current: a.current + b.current,
  failed: a.failed + b.failed,
  retried: a.retried + b.retried,
  conflicts: a.conflicts + b.conflicts,
});

function versionKey(record: unknown): string {
  if (typeof record !== 'object' || record === null || Array.isArray(record)) return 'not an object';
  const v = (record as Record<string, unknown>).schemaVersion;
  return v === undefined ? 'missing' : JSON.stringify(v);
}

type Classified =
  | { kind: 'upgrade'; row: ConversationRow; before: Record<string, unknown>; after: Record<string, unknown> }
  | { kind: 'current'; row: ConversationRow }
  | { kind: 'failed'; row: ConversationRow; problem: Problem };

function classify(m: PayloadSchemaMigration, row: ConversationRow): Classified {
  const r = upgradeRecord(m, row.record);
  if (!r.ok)
    return {
      kind: 'failed',
      row,
      problem: { id: row.id, code: r.code, message: r.message, version: versionKey(row.record) },
    };
  if (!r.changed) return { kind: 'current', row };
  if (!row.numbersExact) {
    return {
      kind: 'failed',
      row,
      problem: {
        id: row.id,
        code: 'NUMBER_PRECISION',
        message: 'holds a number with more precision than a JavaScript double; left as stored',
        version: versionKey(row.record),
      },
    };
  }
  return { kind: 'upgrade', row, before: row.record as Record<string, unknown>, after: r.record };
}

interface Checkpoint {
  lastId: string | null;
  counters: Counters;
  status: string;
  from: number;
  to: number;
}

function checkpointSql(schema: string) {
  const t = `${quoteIdent(schema)}.conversation_migration_progress`;
  return {
    async load(exec: SqlExecutor, id: string): Promise<Checkpoint | null> {
      const rows = await exec.query<Record<string, string | number | null>>(
        `SELECT last_id, scanned, upgraded, current, failed, retried, status, from_version, to_version FROM ${t} WHERE migration = $1`,
        [id],
      );
      const r = rows[0];
      if (!r) return null;
      return {
        lastId: r.last_id === null ? null : String(r.last_id),
        counters: {
          scanned: Number(r.scanned),
          upgraded: Number(r.upgraded),
          current: Number(r.current),
          failed: Number(r.failed),
          retried: Number(r.retried),
          conflicts: 0,
        },
        status: String(r.status),
        from: Number(r.from_version),
        to: Number(r.to_version),
      };
    },
    /** Starts a fresh run: cursor at the beginning, counters at zero. */
    async start(exec: SqlExecutor, m: PayloadSchemaMigration): Promise<void> {
      await exec.query(
        `INSERT INTO ${t} (migration, from_version, to_version, last_id, status) VALUES ($1, $2, $3, NULL, 'running')
         ON CONFLICT (migration) DO UPDATE SET from_version = EXCLUDED.from_version, to_version = EXCLUDED.to_version, last_id = NULL,
           scanned = 0, upgraded = 0, current = 0, failed = 0, retried = 0, status = 'running', started_at = now(), updated_at = now(), finished_at = NULL`,
        [m.id, m.from, m.to],
      );
    },
    async save(
      exec: SqlExecutor,
      id: string,
      lastId: string | null,
      c: Counters,
      status: 'running' | 'complete',
    ): Promise<void> {
      await exec.query(
        `UPDATE ${t} SET last_id = $2, scanned = $3, upgraded = $4, current = $5, failed = $6, retried = $7, status = $8, updated_at = now(),
           finished_at = CASE WHEN $8 = 'complete' THEN now() ELSE NULL END
         WHERE migration = $1`,
        [id, lastId, c.scanned, c.upgraded, c.current, c.failed, c.retried, status],
      );
    },
  };
}

async function tableExists(client: SqlClient, schema: string): Promise<boolean> {
  const rows = await client.query<{ t: string | null }>(`SELECT to_regclass($1)::text AS t`, [
    `${quoteIdent(schema)}.conversations`,
  ]);
  return rows[0]?.t !== null && rows[0]?.t !== undefined;
}

async function countPending(
  client: SqlClient,
  sql: ConversationSql,
  to: number,
  after: string | null,
): Promise<number> {
  const rows = await client.query<{ n: string | number }>(
    `SELECT count(*) AS n FROM ${sql.table} WHERE (schema_version IS NULL OR schema_version <> $1) AND ($2::text IS NULL OR id > $2)`,
    [to, after],
  );
  return Number(rows[0]?.n ?? 0);
}

async function countByVersion(
  client: SqlClient,
  sql: ConversationSql,
): Promise<Array<{ schemaVersion: number | null; count: number }>> {
  const rows = await client.query<{ schema_version: number | null; n: string | number }>(
    `SELECT schema_version, count(*) AS n FROM ${sql.table} GROUP BY schema_version ORDER BY schema_version NULLS FIRST`,
  );
  return rows.map((r) => ({
    schemaVersion: r.schema_version === null ? null : Number(r.schema_version),
    count: Number(r.n),
  }));
}

/** Delay ceilings for retrying a failed batch transaction: 500 ms, 1 s, 2 s … (full jitter, shared with the embeddings runner), at most 5 s. */
const BATCH_BACKOFF = { baseMs: 500, maxMs: 5000 };

/**
 * Writes one batch: conditional upserts for the upgradable rows, a bounded loop re-reading and
 * re-upgrading the rows the application changed meanwhile, and the checkpoint — all in `tx`.
 */
async function writeBatch(
  tx: SqlExecutor,
  sql: ConversationSql,
  m: PayloadSchemaMigration,
  pending: Classified[],
): Promise<{ counters: Counters; problems: Problem[] }> {
  const c = zero();
  const problems: Problem[] = [];
  let todo = pending.filter((p): p is Extract<Classified, { kind: 'upgrade' }> => p.kind === 'upgrade');
  for (let round = 0; todo.length > 0; round++) {
    if (round >= MAX_RETRY_ROUNDS) {
      c.conflicts += todo.length;
      break;
    }
    if (round > 0) c.retried += todo.length;
    const written = await sql.updateManyIfRevision(
      tx,
      todo.map((u) => ({ id: u.row.id, record: u.after, revision: u.row.revision })),
    );
    c.upgraded += written.size;
    const lost = todo.filter((u) => !written.has(u.row.id)).map((u) => u.row.id);
    if (lost.length === 0) break;
    // Changed by the application since we read them: read again, upgrade what is there now.
    const fresh = await sql.selectMany(tx, lost);
    todo = [];
    for (const row of fresh) {
      const again = classify(m, row);
      if (again.kind === 'upgrade') todo.push(again);
      else if (again.kind === 'current') c.current++;
      else {
        c.failed++;
        problems.push(again.problem);
      }
    }
  }
  return { counters: c, problems };
}

/**
 * Runs (or, with `dryRun`, simulates) the migration. Throws `MigrateError`: `E_MIGRATE_RUNNING` when
 * another run of the same migration on the same schema holds the lock, `E_MIGRATE_LOCK_LOST` when
 * the lock's connection drops mid-run (progress is saved), `E_MIGRATE_STORE`/`E_MIGRATE_BATCH` when
 * the store fails.
 */
export async function runConversationMigration(client: SqlClient, options: RunOptions): Promise<MigrationReport> {
  const m = options.migration;
  const schema = options.schema ?? DEFAULT_CONVERSATION_SCHEMA;
  checkSchemaName(schema);
  const batchSize = options.batchSize ?? m.batchSize;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new MigrateError('E_MIGRATE_BATCH_SIZE', `batch size must be a positive integer, got ${batchSize}`);
  if (options.dryRun === true) return run(client, options, schema, batchSize, true, null);
  let lock: RunLock | null;
  try {
    // Taken before the checkpoint is read, so a second run's `restart` never resets a running one's.
    lock = await takeRunLock(client, options.lock, { kind: 'conversations', schema, migration: m.id });
  } catch (error) {
    if (error instanceof RunLockError) throw new MigrateError(error.code, error.message, { cause: error });
    throw new MigrateError('E_MIGRATE_STORE', `taking the run lock: ${(error as Error).message}`, { cause: error });
  }
  try {
    return await run(client, options, schema, batchSize, false, lock);
  } finally {
    await lock?.release();
  }
}

async function run(
  client: SqlClient,
  options: RunOptions,
  schema: string,
  batchSize: number,
  dryRun: boolean,
  lock: RunLock | null,
): Promise<MigrationReport> {
  const m = options.migration;
  const sampleSize = options.sampleSize ?? 3;
  const maxProblems = options.maxProblems ?? 50;
  const attempts = options.batchAttempts ?? 3;
  const sql = conversationSql(schema);
  const cp = checkpointSql(schema);
  const started = performance.now();

  const report: MigrationReport = {
    migration: m.id,
    entity: m.entity,
    from: m.from,
    to: m.to,
    mode: m.mode,
    dryRun,
    schema,
    backend: client.backend,
    batchSize,
    before: [],
    total: 0,
    resumed: null,
    counters: zero(),
    cumulative: zero(),
    byVersion: {},
    changes: emptySummary(),
    problems: [],
    problemsByCode: {},
    samples: [],
    remaining: 0,
    complete: false,
    interrupted: false,
    durationMs: 0,
    recordsPerSecond: 0,
  };
  const finish = (): MigrationReport => {
    report.durationMs = Math.round(performance.now() - started);
    report.recordsPerSecond =
      report.durationMs > 0 ? Math.round((report.counters.scanned * 1000) / report.durationMs) : 0;
    return report;
  };

  const store = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof MigrateError) throw error;
      throw new MigrateError('E_MIGRATE_STORE', `${what}: ${(error as Error).message}`, { cause: error });
    }
  };

  if (dryRun) {
    if (!(await store('reading the conversations table', () => tableExists(client, schema)))) {
      report.complete = true;
      return finish();
    }
  } else {
    await store('creating the conversation tables', () => migrateConversationStore(client, schema));
  }

  let cursor: string | null = null;
  let base = zero();
  if (!dryRun) {
    const saved = await store('reading the checkpoint', () => cp.load(client, m.id));
    if (
      !options.restart &&
      saved &&
      saved.status === 'running' &&
      saved.from === m.from &&
      saved.to === m.to &&
      saved.lastId !== null
    ) {
      cursor = saved.lastId;
      base = saved.counters;
      report.resumed = { after: saved.lastId, counters: saved.counters };
    } else {
      await store('starting the checkpoint', () => cp.start(client, m));
    }
  }
  report.before = await store('counting records', () => countByVersion(client, sql));
  report.total = report.before.reduce((n, v) => n + v.count, 0);
  const pending = await store('counting records', () => countPending(client, sql, m.to, cursor));

  const progress = (done: boolean): void => {
    options.onProgress?.({
      migration: m.id,
      dryRun,
      scanned: report.counters.scanned,
      pending,
      resumed: base.scanned,
      upgraded: report.counters.upgraded,
      failed: report.counters.failed,
      elapsedMs: performance.now() - started,
      done,
    });
  };
  const noteProblem = (p: Problem): void => {
    report.problemsByCode[p.code] = (report.problemsByCode[p.code] ?? 0) + 1;
    if (report.problems.length < maxProblems) report.problems.push(p);
  };

  /** Waits, returning early when the run is stopped (the loop then sees the signal). */
  const pause = async (ms: number): Promise<void> => {
    await sleep(ms, options.signal).catch(() => {});
  };

  progress(false);
  batches: for (;;) {
    if (lock?.lost) {
      throw new MigrateError(
        'E_MIGRATE_LOCK_LOST',
        `the connection holding the run lock dropped after '${cursor ?? '(start)'}'; stopped, since another run could now start alongside; progress up to there is saved: run again to resume`,
      );
    }
    if (options.signal?.aborted) {
      report.interrupted = true;
      break;
    }
    const rows: ConversationRow[] = await store('reading a batch', () => sql.page(client, cursor, batchSize, m.to));
    if (rows.length === 0) break;
    const lastId = (rows[rows.length - 1] as ConversationRow).id;
    const classified = rows.map((row) => classify(m, row));
    const batch = zero();
    batch.scanned = rows.length;
    for (const k of classified) {
      const key = versionKey(k.row.record);
      report.byVersion[key] = (report.byVersion[key] ?? 0) + 1;
      if (k.kind === 'current') batch.current++;
      else if (k.kind === 'failed') {
        batch.failed++;
        noteProblem(k.problem);
      } else {
        summarizeChange(report.changes, m, k.before, k.after);
        if (dryRun && report.samples.length < sampleSize)
          report.samples.push({ id: k.row.id, diff: diffRecords(m, k.before, k.after) });
      }
    }
    if (dryRun) {
      batch.upgraded = classified.filter((k) => k.kind === 'upgrade').length;
    } else {
      let result: { counters: Counters; problems: Problem[] } | null = null;
      for (let attempt = 1; result === null; attempt++) {
        try {
          result = await client.transaction(async (tx) => {
            const r = await writeBatch(tx, sql, m, classified);
            await cp.save(
              tx,
              m.id,
              lastId,
              add(add(base, report.counters), { ...add(batch, r.counters), conflicts: 0 }),
              'running',
            );
            return r;
          });
        } catch (error) {
          if (attempt >= attempts) {
            throw new MigrateError(
              'E_MIGRATE_BATCH',
              `batch after '${cursor ?? '(start)'}' failed ${attempts} times (${(error as Error).message}); progress up to there is saved: run again to resume`,
              { cause: error },
            );
          }
          await pause(backoffDelay(attempt - 1, BATCH_BACKOFF));
          if (options.signal?.aborted) {
            // Stopped while waiting to retry: this batch is not committed, the checkpoint is before it.
            report.interrupted = true;
            break batches;
          }
        }
      }
      const r = result;
      for (const p of r.problems) noteProblem(p);
      Object.assign(batch, add(batch, r.counters));
    }
    report.counters = add(report.counters, batch);
    cursor = lastId;
    progress(false);
    if (options.pauseMs) await pause(options.pauseMs);
  }

  report.cumulative = add(base, report.counters);
  if (!dryRun && !report.interrupted) {
    await store('saving the checkpoint', () => cp.save(client, m.id, cursor, report.cumulative, 'complete'));
    report.complete = true;
  }
  if (dryRun) report.complete = !report.interrupted;
  report.remaining = dryRun ? pending : await store('counting records', () => countPending(client, sql, m.to, null));
  progress(true);
  return finish();
}
