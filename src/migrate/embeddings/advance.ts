/**
 * `--advance` and `--cleanup`: the phase moves one step in rollouts/<id>.yaml (a minimal,
 * comment-preserving edit, so it goes through a PR like every other change), and only when the
 * data says it may; the old index is retired only once the plan is complete and committed.
 */
import { loadProjectAtRef, type EmbeddingPhase } from '../../config/index.ts';
import type { VectorStore } from '@switchyard/data';
import { setScalar } from '../../config/edit/set-scalar.ts';
import { checkpointQueries } from './checkpoint.ts';
import { nextPhase, planFingerprint, resolvePlan, type ResolvedPlan } from './plan.ts';
import type { Problem, Result } from '../../errors/index.ts';
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
export async function decideAdvance(
  store: VectorStore,
  resolved: ResolvedPlan,
  now = Date.now(),
): Promise<Result<AdvanceDecision>> {
  const { plan, phase, env } = resolved;
  const to = nextPhase(phase);
  if (!to)
    return {
      ok: false,
      code: 'E_MIGRATE_PHASE',
      message: 'the plan is already complete',
      hint: 'drop the old index with --cleanup',
    };
  if (env !== undefined && !resolved.overridden) {
    return {
      ok: false,
      code: 'E_MIGRATE_ADVANCE',
      message: `${env} has no phase override: it follows the top-level phase, which other environments share`,
      hint: `add "environments: { ${env}: { phase: ${phase} } }" to rollouts/${plan.migration}.yaml, or advance without --env`,
    };
  }
  const step = { from: phase, to, path: resolved.phasePath };
  if (phase === 'dual-write') {
    return {
      ok: true,
      ...step,
      reason: 'dual-write → backfill declares that every writer dual-writes (no data to verify yet)',
      verification: undefined,
    };
  }
  if (phase === 'backfill') {
    const checkpoint = await checkpointQueries(store).load(store.client, plan.migration, plan.to.index);
    if (checkpoint?.status !== 'complete') {
      return {
        ok: false,
        code: 'E_MIGRATE_NOT_VERIFIED',
        message: `the backfill into '${plan.to.index}' has not completed (${checkpoint ? `checkpoint at '${checkpoint.lastDocId}'` : 'never run'})`,
        hint: `run switchyard migrate embeddings ${plan.migration}${env ? ` --env ${env}` : ''}`,
      };
    }
  }
  const verification = await latestVerification(store, plan.migration, resolved.envKey);
  const rerun = `run switchyard migrate embeddings ${plan.migration}${env ? ` --env ${env}` : ''} --verify`;
  if (!verification)
    return {
      ok: false,
      code: 'E_MIGRATE_NOT_VERIFIED',
      message: 'no verification stored for this migration and environment',
      hint: rerun,
    };
  if (verification.planFingerprint !== planFingerprint(plan)) {
    return {
      ok: false,
      code: 'E_MIGRATE_NOT_VERIFIED',
      message: `the latest verification (#${verification.id}) was for a different from/to plan`,
      hint: rerun,
    };
  }
  if (!verification.passed) {
    const failed = verification.checks.filter((c) => !c.passed).map((c) => `${c.name}: ${c.detail}`);
    return {
      ok: false,
      code: 'E_MIGRATE_NOT_VERIFIED',
      message: `the latest verification (#${verification.id}) failed: ${failed.join('; ')}`,
      hint: `fix it, then ${rerun}`,
    };
  }
  if (verification.dataFingerprint === (await dataFingerprint(store, plan))) {
    return { ok: true, ...step, reason: `verification #${verification.id} passed on the current data`, verification };
  }
  const ageMinutes = (now - Date.parse(verification.createdAt ?? '')) / 60_000;
  if (!(ageMinutes <= resolved.verify.maxAgeMinutes)) {
    return {
      ok: false,
      code: 'E_MIGRATE_NOT_VERIFIED',
      message: `documents changed since verification #${verification.id}, which is ${Math.round(ageMinutes)} minutes old (verify.maxAgeMinutes ${resolved.verify.maxAgeMinutes})`,
      hint: rerun,
    };
  }
  const failing = countChecks(await countFacts(store, plan), resolved.verify).filter((c) => !c.passed);
  if (failing.length > 0) {
    return {
      ok: false,
      code: 'E_MIGRATE_NOT_VERIFIED',
      message: `documents changed since verification #${verification.id} and the counts no longer pass: ${failing.map((c) => c.detail).join('; ')}`,
      hint: `run the backfill again, then ${rerun}`,
    };
  }
  return {
    ok: true,
    ...step,
    reason: `verification #${verification.id} passed ${Math.round(ageMinutes)} min ago; documents changed since and the count checks pass now`,
    verification,
  };
}

/** The file text with the phase moved (comments and layout kept), or a problem. */
export function editPhase(source: string, decision: AdvanceDecision, file: string): Result<{ text: string }> {
  const edited = setScalar(source, decision.path, decision.to, file);
  if (!edited.value || edited.errors.length > 0) {
    const e = edited.errors[0];
    return { ok: false, code: 'E_MIGRATE_ADVANCE', message: e?.message ?? `cannot edit ${file}`, hint: e?.hint };
  }
  return { ok: true, text: edited.value };
}

/** The plan as committed on a git ref (what the merge published, not the working tree). */
export interface CommittedPlan {
  ref: string;
  phase: EmbeddingPhase;
  fromIndex: string;
}

/**
 * Reads the plan `id` from the git ref `ref` of the project at `root` (the working tree is not
 * touched) and resolves its phase for `env`. A ref that cannot be read, or that has no such plan,
 * is a problem: cleanup must not fall back to the local YAML.
 */
export async function committedPlan(
  root: string,
  id: string,
  env: string | undefined,
  ref: string,
): Promise<Result<CommittedPlan>> {
  const hint = `commit the phase change, merge it, and pass the published branch with --ref (default main)`;
  const loaded = await loadProjectAtRef(root, ref);
  if (!loaded.value) {
    return {
      ok: false,
      code: 'E_MIGRATE_CLEANUP_REF',
      message: `cannot read the committed plan at '${ref}': ${loaded.errors.map((e) => e.message).join('; ') || 'no project'}`,
      hint,
    };
  }
  const resolved = resolvePlan(loaded.value, id, env);
  if (!resolved.ok)
    return { ok: false, code: 'E_MIGRATE_CLEANUP_REF', message: `at '${ref}': ${resolved.message}`, hint };
  return { ok: true, ref, phase: resolved.phase, fromIndex: resolved.plan.from.index };
}

/**
 * Retires the old index (drops it, and records that nothing may re-create it) only when the plan
 * is `complete` both in the working tree and as committed on the published ref. The local YAML
 * alone is not enough: `--advance` writes `complete` before the change is merged and published,
 * and instances still on the `cutover` route write the old index. Even so, run it only once every
 * instance runs the `complete` bundle; an instance that lags behind keeps working (the retired
 * index is skipped, see `indexDocument`).
 */
export async function cleanupOldIndex(
  store: VectorStore,
  resolved: ResolvedPlan,
  committed: Result<CommittedPlan> | Problem,
): Promise<Result<{ dropped: boolean; index: string; ref: string }>> {
  const where = resolved.env ? ` in ${resolved.env}` : '';
  if (resolved.phase !== 'complete') {
    return {
      ok: false,
      code: 'E_MIGRATE_PHASE',
      message: `the plan is in ${resolved.phase}${where}: the old index '${resolved.plan.from.index}' is kept until the phase is complete (it is what a rollback reads)`,
      hint: 'advance to complete first',
    };
  }
  if (!committed.ok) return committed;
  if (committed.phase !== 'complete') {
    return {
      ok: false,
      code: 'E_MIGRATE_NOT_PUBLISHED',
      message: `the plan is complete${where} in the working tree but ${committed.phase} at '${committed.ref}': instances on the published route may still write and read the old index '${resolved.plan.from.index}'`,
      hint: `merge the change to complete, wait until every instance has swapped to the new bundle, then run --cleanup again (--ref names the published branch)`,
    };
  }
  if (committed.fromIndex !== resolved.plan.from.index) {
    return {
      ok: false,
      code: 'E_MIGRATE_NOT_PUBLISHED',
      message: `the old index differs between the working tree ('${resolved.plan.from.index}') and '${committed.ref}' ('${committed.fromIndex}')`,
      hint: 'commit and merge the plan first',
    };
  }
  const storage = resolved.plan.storage;
  if (storage) {
    return {
      ok: false,
      code: 'E_MIGRATE_CLEANUP_APP_TABLE',
      message: `the old vectors live in the application's column ${storage.table}.${storage.from.column}: Switchyard never drops a column of a table it did not create`,
      hint: `drop ${storage.from.column} in the application's own schema migration once every instance reads ${storage.to.column}`,
    };
  }
  const index = resolved.plan.from.index;
  const { dropped } = await store.retireIndex(
    index,
    `cleanup of ${resolved.plan.migration}${where} (complete at ${committed.ref})`,
  );
  return { ok: true, dropped, index, ref: committed.ref };
}
