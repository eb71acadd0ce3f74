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
 *
 * The steps, one concept per file: run-state.ts (the invocation's state), checkpoint.ts,
 * classify.ts (one row's fate), batch.ts (accounting and committing a batch), write-batch.ts (the
 * conditional writes).
 */
import {
  DEFAULT_CONVERSATION_SCHEMA,
  checkSchemaName,
  checkStorage,
  inspectTable,
  migrateConversationCheckpoints,
  migrateConversationStore,
  switchyardTableExists,
  userTableSql,
} from '@switchyard/data';
import type { SqlClient, TableRow } from '@switchyard/data';
import { commitBatch, examineBatch, pause } from './batch.ts';
import { classify } from './classify.ts';
import { add } from './counters.ts';
import { MigrateError } from './errors.ts';
import { emitProgress, finishReport, noteProblem, runState, store, type RunState } from './run-state.ts';
import { RunLockError, takeRunLock, type RunLock } from '../shared/run-lock.ts';
import type { MigrationReport, RunOptions } from './types.ts';

export type { RunOptions, Progress, Counters, Problem, MigrationReport } from './types.ts';
export { MigrateError };

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
  if (options.dryRun === true) return run(runState(client, options, schema, batchSize, true, null));
  let lock: RunLock | null;
  try {
    // Taken before the checkpoint is read, so a second run's `restart` never resets a running one's.
    lock = await takeRunLock(client, options.lock, { kind: 'conversations', schema, migration: m.id });
  } catch (error) {
    if (error instanceof RunLockError) throw new MigrateError(error.code, error.message, { cause: error });
    throw new MigrateError('E_MIGRATE_STORE', `taking the run lock: ${(error as Error).message}`, { cause: error });
  }
  try {
    return await run(runState(client, options, schema, batchSize, false, lock));
  } finally {
    await lock?.release();
  }
}

/** Creates the tables (a dry run creates nothing: false when there is nothing to read). */
async function prepareStore(s: RunState): Promise<boolean> {
  if (s.options.storage) return prepareUserTable(s);
  if (s.dryRun) return store('reading the conversations table', () => switchyardTableExists(s.client, s.schema));
  await store('creating the conversation tables', () => migrateConversationStore(s.client, s.schema));
  return true;
}

/**
 * An application's table: the names checked, the table and its columns inspected (coded errors
 * naming the plan and the column), only the checkpoint table created in Switchyard's schema.
 */
async function prepareUserTable(s: RunState): Promise<boolean> {
  const source = s.options.source ?? `rollouts/${s.m.id}.yaml`;
  const storage = checkStorage(s.options.storage as NonNullable<RunOptions['storage']>, source);
  const inspected = await store(`reading ${storage.table}`, () => inspectTable(s.client, storage, source));
  s.table = userTableSql(inspected);
  s.report.table = s.table.label;
  if (!s.dryRun) await store('creating the checkpoint table', () => migrateConversationCheckpoints(s.client, s.schema));
  return true;
}

/** Continues an unfinished run of the same plan from its checkpoint, or starts a fresh checkpoint. */
async function resumeOrStart(s: RunState): Promise<void> {
  if (s.dryRun) return;
  const { m, options } = s;
  const saved = await store('reading the checkpoint', () => s.cp.load(s.client, m.id));
  if (
    !options.restart &&
    saved?.status === 'running' &&
    saved.from === m.from &&
    saved.to === m.to &&
    saved.lastId !== null
  ) {
    s.cursor = saved.lastId;
    s.base = saved.counters;
    s.report.resumed = { after: saved.lastId, counters: saved.counters };
  } else {
    await store('starting the checkpoint', () => s.cp.start(s.client, m));
  }
}

async function countBefore(s: RunState): Promise<void> {
  s.report.before = await store('counting records', () => s.table.countByVersion(s.client));
  s.report.total = s.report.before.reduce((n, v) => n + v.count, 0);
  s.pending = await store('counting records', () => s.table.countPending(s.client, s.m.to, s.cursor));
}

/** Reads, accounts for and (unless a dry run) commits one batch; false when there is nothing left or the run was stopped. */
async function nextBatch(s: RunState): Promise<boolean> {
  const rows: TableRow[] = await store('reading a batch', () => s.table.page(s.client, s.cursor, s.batchSize, s.m.to));
  if (rows.length === 0) return false;
  const lastId = (rows[rows.length - 1] as TableRow).id;
  const classified = rows.map((row) => classify(s.m, row));
  const batch = examineBatch(s, classified);
  if (s.dryRun) {
    batch.upgraded = classified.filter((k) => k.kind === 'upgrade').length;
  } else {
    const result = await commitBatch(s, classified, batch, lastId);
    if (result === null) {
      s.report.interrupted = true;
      return false;
    }
    for (const p of result.problems) noteProblem(s, p);
    Object.assign(batch, add(batch, result.counters));
  }
  s.report.counters = add(s.report.counters, batch);
  s.cursor = lastId;
  return true;
}

/** The batch loop: stops when done, when the signal is raised, or (an error) when the run lock is lost. */
async function runBatches(s: RunState): Promise<void> {
  for (;;) {
    if (s.lock?.lost) {
      throw new MigrateError(
        'E_MIGRATE_LOCK_LOST',
        `the connection holding the run lock dropped after '${s.cursor ?? '(start)'}'; stopped, since another run could now start alongside; progress up to there is saved: run again to resume`,
      );
    }
    if (s.options.signal?.aborted) {
      s.report.interrupted = true;
      return;
    }
    if (!(await nextBatch(s))) return;
    emitProgress(s, false);
    if (s.options.pauseMs) await pause(s, s.options.pauseMs);
  }
}

/** Marks the checkpoint complete (unless interrupted) and counts what remains. */
async function finishRun(s: RunState): Promise<void> {
  const r = s.report;
  r.cumulative = add(s.base, r.counters);
  if (!s.dryRun && !r.interrupted) {
    await store('saving the checkpoint', () => s.cp.save(s.client, s.m.id, s.cursor, r.cumulative, 'complete'));
    r.complete = true;
  }
  if (s.dryRun) r.complete = !r.interrupted;
  r.remaining = s.dryRun
    ? s.pending
    : await store('counting records', () => s.table.countPending(s.client, s.m.to, null));
}

async function run(s: RunState): Promise<MigrationReport> {
  if (!(await prepareStore(s))) {
    s.report.complete = true;
    return finishReport(s);
  }
  await resumeOrStart(s);
  await countBefore(s);
  emitProgress(s, false);
  await runBatches(s);
  await finishRun(s);
  emitProgress(s, true);
  return finishReport(s);
}
