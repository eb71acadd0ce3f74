/**
 * `--advance` and `--cleanup`: the phase moves one step in rollouts/<id>.yaml (a minimal,
 * comment-preserving edit, so it goes through a PR like every other change), and only when the
 * data says it may; the old index is dropped only once the plan is complete.
 */
import type { VectorStore } from '../../vectors/index.ts';
import { setScalar } from '../../propose/yaml-edit.ts';
import { checkpointQueries } from './backfill.ts';
import { nextPhase, planFingerprint, type PlanProblem, type ResolvedPlan } from './plan.ts';
import { countChecks, countFacts, dataFingerprint, latestVerification, type VerifyReport } from './verify.ts';

export interface AdvanceDecision {
  from: string;
  to: string;
  /** The YAML key edited. */
  path: string[];
  /** Why it is allowed (printed). */
  reason: string;
  verification: VerifyReport | undefined;
}

/**
 * Whether the plan may move one phase forward now. dual-write → backfill needs no data (it declares
 * that every writer dual-writes); every later step needs the latest stored verification of this
 * plan in this environment to have passed — for the current data, or, when documents changed since
 * (a live application keeps writing), no older than `verify.maxAgeMinutes` and with the count
 * checks passing again now. backfill → dual-read also needs the backfill's checkpoint complete.
 */
export async function decideAdvance(store: VectorStore, resolved: ResolvedPlan, now = Date.now()): Promise<AdvanceDecision | PlanProblem> {
  const { plan, phase, env } = resolved;
  const to = nextPhase(phase);
  if (!to) return { code: 'E_MIGRATE_PHASE', message: 'the plan is already complete', hint: 'drop the old index with --cleanup' };
  if (env !== undefined && !resolved.overridden) {
    return {
      code: 'E_MIGRATE_ADVANCE',
      message: `${env} has no phase override: it follows the top-level phase, which other environments share`,
      hint: `add "environments: { ${env}: { phase: ${phase} } }" to rollouts/${plan.migration}.yaml, or advance without --env`,
    };
  }
  const step = { from: phase, to, path: resolved.phasePath };
  if (phase === 'dual-write') {
    return { ...step, reason: 'dual-write → backfill declares that every writer dual-writes (no data to verify yet)', verification: undefined };
  }
  if (phase === 'backfill') {
    const checkpoint = await checkpointQueries(store).load(store.client, plan.migration, plan.to.index);
    if (checkpoint?.status !== 'complete') {
      return { code: 'E_MIGRATE_NOT_VERIFIED', message: `the backfill into '${plan.to.index}' has not completed (${checkpoint ? `checkpoint at '${checkpoint.lastDocId}'` : 'never run'})`, hint: `run switchyard migrate embeddings ${plan.migration}${env ? ` --env ${env}` : ''}` };
    }
  }
  const verification = await latestVerification(store, plan.migration, resolved.envKey);
  const rerun = `run switchyard migrate embeddings ${plan.migration}${env ? ` --env ${env}` : ''} --verify`;
  if (!verification) return { code: 'E_MIGRATE_NOT_VERIFIED', message: 'no verification stored for this migration and environment', hint: rerun };
  if (verification.planFingerprint !== planFingerprint(plan)) {
    return { code: 'E_MIGRATE_NOT_VERIFIED', message: `the latest verification (#${verification.id}) was for a different from/to plan`, hint: rerun };
  }
  if (!verification.passed) {
    const failed = verification.checks.filter((c) => !c.passed).map((c) => `${c.name}: ${c.detail}`);
    return { code: 'E_MIGRATE_NOT_VERIFIED', message: `the latest verification (#${verification.id}) failed: ${failed.join('; ')}`, hint: `fix it, then ${rerun}` };
  }
  if (verification.dataFingerprint === (await dataFingerprint(store, plan))) {
    return { ...step, reason: `verification #${verification.id} passed on the current data`, verification };
  }
  const ageMinutes = (now - Date.parse(verification.createdAt ?? '')) / 60_000;
  if (!(ageMinutes <= resolved.verify.maxAgeMinutes)) {
    return { code: 'E_MIGRATE_NOT_VERIFIED', message: `documents changed since verification #${verification.id}, which is ${Math.round(ageMinutes)} minutes old (verify.maxAgeMinutes ${resolved.verify.maxAgeMinutes})`, hint: rerun };
  }
  const failing = countChecks(await countFacts(store, plan), resolved.verify).filter((c) => !c.passed);
  if (failing.length > 0) {
    return { code: 'E_MIGRATE_NOT_VERIFIED', message: `documents changed since verification #${verification.id} and the counts no longer pass: ${failing.map((c) => c.detail).join('; ')}`, hint: `run the backfill again, then ${rerun}` };
  }
  return { ...step, reason: `verification #${verification.id} passed ${Math.round(ageMinutes)} min ago; documents changed since and the count checks pass now`, verification };
}

/** The file text with the phase moved (comments and layout kept), or a problem. */
export function editPhase(source: string, decision: AdvanceDecision, file: string): { text: string } | PlanProblem {
  const edited = setScalar(source, decision.path, decision.to, file);
  if (!edited.value || edited.errors.length > 0) {
    const e = edited.errors[0];
    return { code: 'E_MIGRATE_ADVANCE', message: e?.message ?? `cannot edit ${file}`, hint: e?.hint };
  }
  return { text: edited.value };
}

/** Drops the old index, only when the plan's phase (for the environment) is `complete`. */
export async function cleanupOldIndex(store: VectorStore, resolved: ResolvedPlan): Promise<{ dropped: boolean; index: string } | PlanProblem> {
  if (resolved.phase !== 'complete') {
    return {
      code: 'E_MIGRATE_PHASE',
      message: `the plan is in ${resolved.phase}${resolved.env ? ` in ${resolved.env}` : ''}: the old index '${resolved.plan.from.index}' is kept until the phase is complete (it is what a rollback reads)`,
      hint: 'advance to complete first',
    };
  }
  return { dropped: await store.dropIndex(resolved.plan.from.index), index: resolved.plan.from.index };
}
