/**
 * One invocation's state: the options resolved, the report being filled, the keyset cursor, and
 * the small helpers every step uses (progress, problem notes, store errors as `E_MIGRATE_STORE`).
 */
import type { PayloadSchemaMigration } from '@switchyard/runtime';
import { ConversationError, switchyardTable, type RecordTable, type SqlClient } from '@switchyard/data';
import { emptySummary } from './changes.ts';
import { checkpointSql, type CheckpointSql } from './checkpoint.ts';
import { zero } from './counters.ts';
import { MigrateError } from './errors.ts';
import type { RunLock } from '../shared/run-lock.ts';
import type { Counters, MigrationReport, Problem, RunOptions } from './types.ts';

export interface RunState {
  client: SqlClient;
  options: RunOptions;
  m: PayloadSchemaMigration;
  schema: string;
  batchSize: number;
  dryRun: boolean;
  lock: RunLock | null;
  /** The records' table: Switchyard's by default; the application's one once prepareStore has inspected it. */
  table: RecordTable;
  cp: CheckpointSql;
  started: number;
  report: MigrationReport;
  /** The last key of the last committed batch (null: from the start). */
  cursor: string | null;
  /** The counters of the interrupted run this one resumes (zero otherwise). */
  base: Counters;
  /** Records not at `to` after the cursor when this invocation started. */
  pending: number;
}

function emptyReport(
  client: SqlClient,
  options: RunOptions,
  m: PayloadSchemaMigration,
  schema: string,
  batchSize: number,
  dryRun: boolean,
): MigrationReport {
  return {
    migration: m.id,
    entity: m.entity,
    from: m.from,
    to: m.to,
    mode: m.mode,
    dryRun,
    schema,
    table: options.storage?.table ?? `${schema}.conversations`,
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
}

export function runState(
  client: SqlClient,
  options: RunOptions,
  schema: string,
  batchSize: number,
  dryRun: boolean,
  lock: RunLock | null,
): RunState {
  const m = options.migration;
  return {
    client,
    options,
    m,
    schema,
    batchSize,
    dryRun,
    lock,
    table: switchyardTable(schema),
    cp: checkpointSql(schema),
    started: performance.now(),
    report: emptyReport(client, options, m, schema, batchSize, dryRun),
    cursor: null,
    base: zero(),
    pending: 0,
  };
}

/** Stamps the duration and rate on the report and returns it. */
export function finishReport(s: RunState): MigrationReport {
  const r = s.report;
  r.durationMs = Math.round(performance.now() - s.started);
  r.recordsPerSecond = r.durationMs > 0 ? Math.round((r.counters.scanned * 1000) / r.durationMs) : 0;
  return r;
}

/** Runs a store step, turning anything but a MigrateError or ConversationError (coded already) into `E_MIGRATE_STORE` naming `what`. */
export async function store<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof MigrateError || error instanceof ConversationError) throw error;
    throw new MigrateError('E_MIGRATE_STORE', `${what}: ${(error as Error).message}`, { cause: error });
  }
}

export function emitProgress(s: RunState, done: boolean): void {
  const c = s.report.counters;
  s.options.onProgress?.({
    migration: s.m.id,
    dryRun: s.dryRun,
    scanned: c.scanned,
    pending: s.pending,
    resumed: s.base.scanned,
    upgraded: c.upgraded,
    failed: c.failed,
    elapsedMs: performance.now() - s.started,
    done,
  });
}

/** Counts a problem by code and lists it while the list has room (`maxProblems`, default 50). */
export function noteProblem(s: RunState, p: Problem): void {
  const r = s.report;
  r.problemsByCode[p.code] = (r.problemsByCode[p.code] ?? 0) + 1;
  if (r.problems.length < (s.options.maxProblems ?? 50)) r.problems.push(p);
}
