/**
 * The background conversation migration's options and report (docs/guides/conversation-migration.md).
 */
import type { PayloadSchemaMigration } from '@switchyard/runtime';
import type { TableStorage } from '@switchyard/data';
import type { ChangeSummary, DiffEntry } from './changes.ts';
import type { RunLockOption } from '../shared/run-lock.ts';

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
  /**
   * The application's own table holding the records (the plan's `storage:` block; see
   * docs/guides/conversation-migration.md, "Your own table"). Absent: Switchyard's
   * `<schema>.conversations`. The checkpoint stays in `schema` either way.
   */
  storage?: TableStorage;
  /** Names the plan in storage errors (default `rollouts/<migration id>.yaml`). */
  source?: string;
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
  /** Switchyard's schema: the checkpoint's (and, without `storage`, the records'). */
  schema: string;
  /** The table holding the records, e.g. `switchyard.conversations` or the application's `app.chat_threads`. */
  table: string;
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
