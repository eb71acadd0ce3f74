/** The embedding migration runner: backfill (resumable), verify, advance, cleanup. */
export { runBackfill, type BackfillOptions, type BackfillProgress, type BackfillReport } from './backfill.ts';
export { checkpointQueries, type CheckpointRow } from './checkpoint.ts';
export {
  verifyMigration,
  failedVerification,
  storeVerification,
  latestVerification,
  countFacts,
  countChecks,
  dataFingerprint,
  type VerifyReport,
  type VerifyCheck,
  type CountFacts,
} from './verify.ts';
export {
  decideAdvance,
  editPhase,
  cleanupOldIndex,
  committedPlan,
  type AdvanceDecision,
  type CommittedPlan,
} from './advance.ts';
export {
  resolvePlan,
  backfillAllowed,
  nextPhase,
  planFingerprint,
  PHASES,
  type ResolvedPlan,
  type PlanProblem,
  type BackfillSettings,
  type VerifySettings,
} from './plan.ts';
