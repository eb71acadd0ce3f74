/** `switchyard migrate conversations`: the background conversation schema migration. */
export {
  runConversationMigration,
  MigrateError,
  type RunOptions,
  type Progress,
  type Counters,
  type Problem,
  type MigrationReport,
} from './runner.ts';
export {
  acquireRunLock,
  openLockSession,
  RunLockError,
  RUN_LOCK_NAMESPACES,
  type LockSession,
  type RunLock,
  type RunLockOption,
} from '../shared/run-lock.ts';
export { selectConversationMigration, toPayloadMigration, type PlanResult } from './plan.ts';
export { diffRecords, summarizeChange, emptySummary, type ChangeSummary, type DiffEntry } from './changes.ts';
export { renderReport } from './render.ts';
