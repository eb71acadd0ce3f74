/**
 * The embedding migration plan as the runner uses it: the resource from rollouts/<id>.yaml, the
 * phase in force for an environment, the settings with their defaults, and the phase rules.
 */
import { createHash } from 'node:crypto';
import type { EmbeddingMigrationResource, EmbeddingPhase, Project } from '../../config/index.ts';
import type { Problem, Result } from '../../errors/index.ts';

export const PHASES: readonly EmbeddingPhase[] = ['dual-write', 'backfill', 'dual-read', 'cutover', 'complete'];

export interface BackfillSettings {
  batchSize: number;
  concurrency: number;
  requestsPerMinute: number | undefined;
  tokensPerMinute: number | undefined;
  maxRetries: number;
}

export interface VerifySettings {
  sampleQueries: number;
  topK: number;
  minOverlap: number;
  maxDeadLetters: number;
  maxAgeMinutes: number;
}

export interface ResolvedPlan {
  plan: EmbeddingMigrationResource;
  /** Environment asked for, or undefined for the plan's top-level phase. */
  env: string | undefined;
  /** Key verifications are stored under: the environment, or `default`. */
  envKey: string;
  phase: EmbeddingPhase;
  /** YAML path of the phase in force (what --advance edits). */
  phasePath: string[];
  /** Whether the phase comes from an `environments.<env>.phase` override. */
  overridden: boolean;
  backfill: BackfillSettings;
  verify: VerifySettings;
}

/** Why a plan step cannot go ahead: the repository's `Problem` (src/errors/result.ts). */
export type PlanProblem = Problem;

/** Finds the plan and resolves the phase for `env` (its override, else the top-level phase). */
export function resolvePlan(project: Project, id: string, env?: string): Result<ResolvedPlan> {
  const resource = project.rollouts.get(id);
  if (!resource || resource.kind !== 'EmbeddingMigration') {
    const known = [...project.rollouts.values()]
      .filter((r) => r.kind === 'EmbeddingMigration')
      .map((r) => (r as EmbeddingMigrationResource).migration);
    return {
      ok: false,
      code: 'E_MIGRATE_UNKNOWN',
      message: `no EmbeddingMigration '${id}' in rollouts/`,
      hint: `known: ${known.join(', ') || '(none)'}`,
    };
  }
  if (env !== undefined && !project.settings.environments.some((e) => e.name === env)) {
    return {
      ok: false,
      code: 'E_MIGRATE_ENV',
      message: `unknown environment '${env}'`,
      hint: `switchyard.yaml declares: ${project.settings.environments.map((e) => e.name).join(', ')}`,
    };
  }
  const override = env === undefined ? undefined : resource.environments?.[env]?.phase;
  const b = resource.backfill;
  const v = resource.verify ?? {};
  return {
    ok: true,
    plan: resource,
    env,
    envKey: env ?? 'default',
    phase: override ?? resource.phase,
    phasePath: override !== undefined ? ['environments', env!, 'phase'] : ['phase'],
    overridden: override !== undefined,
    backfill: {
      batchSize: b.batchSize,
      concurrency: b.concurrency,
      requestsPerMinute: b.requestsPerMinute,
      tokensPerMinute: b.tokensPerMinute,
      maxRetries: b.maxRetries ?? 5,
    },
    verify: {
      sampleQueries: v.sampleQueries ?? 50,
      topK: v.topK ?? 10,
      minOverlap: v.minOverlap ?? 0.6,
      maxDeadLetters: v.maxDeadLetters ?? 0,
      maxAgeMinutes: v.maxAgeMinutes ?? 60,
    },
  };
}

/**
 * Whether a backfill may run in `phase`. It needs every writer to dual-write (so documents written
 * while it runs reach the new index without it) and the old index to still be the fallback:
 * `backfill`, `dual-read` and `cutover` qualify. `dual-write` does not — moving the plan to
 * `backfill` is the declaration that every application instance has the dual-write config — and
 * `complete` no longer writes the old index.
 */
export function backfillAllowed(phase: EmbeddingPhase): PlanProblem | undefined {
  if (phase === 'backfill' || phase === 'dual-read' || phase === 'cutover') return undefined;
  if (phase === 'dual-write') {
    return {
      ok: false,
      code: 'E_MIGRATE_PHASE',
      message: 'the plan is in dual-write: a backfill starts only once every application instance dual-writes',
      hint: 'when the dual-write bundle is live everywhere, run with --advance (dual-write → backfill), merge that change, then run the backfill',
    };
  }
  return {
    ok: false,
    code: 'E_MIGRATE_PHASE',
    message: 'the plan is complete: the new index is the only one written, there is nothing to backfill',
    hint: 'step the phase back to cutover to repair the index',
  };
}

/** The next phase, or undefined after `complete`. */
export function nextPhase(phase: EmbeddingPhase): EmbeddingPhase | undefined {
  return PHASES[PHASES.indexOf(phase) + 1];
}

/** Identifies what a verification was about: the two indexes (model, dimension, name). */
export function planFingerprint(plan: EmbeddingMigrationResource): string {
  const { from, to } = plan;
  return createHash('sha256')
    .update(JSON.stringify([from.model, from.dimension, from.index, to.model, to.dimension, to.index]))
    .digest('hex')
    .slice(0, 16);
}
