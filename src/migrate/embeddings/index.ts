/** The embedding migration runner: backfill (resumable), verify, advance, cleanup. */
export { runBackfill, checkpointQueries, type BackfillOptions, type BackfillProgress, type BackfillReport, type CheckpointRow } from './backfill.ts';
export { verifyMigration, storeVerification, latestVerification, countFacts, countChecks, dataFingerprint, type VerifyReport, type VerifyCheck, type CountFacts } from './verify.ts';
export { decideAdvance, editPhase, cleanupOldIndex, committedPlan, type AdvanceDecision, type CommittedPlan } from './advance.ts';
export { resolvePlan, backfillAllowed, nextPhase, planFingerprint, PHASES, type ResolvedPlan, type PlanProblem, type BackfillSettings, type VerifySettings } from './plan.ts';
