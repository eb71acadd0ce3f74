import type { Checked } from '../config/diagnostics.ts';
import type { RolloutResource } from '../config/types.ts';
import { fileKey } from '../config/index.ts';
import { setScalar } from '../config/edit/set-scalar.ts';
import { effectivePercent } from '../bundle/effective-percent.ts';
import type { CanaryAnalysis, ShadowAnalysis } from '../analysis/index.ts';
import { editFile, problem, type PlanContext } from './plan-context.ts';
import type { FileEdit } from './types.ts';

/** A rollout that has a percent (Flag, Canary, ModelRollout). */
export type PercentRollout = Extract<RolloutResource, { percent: number }>;

/** The rollout a decision edits, at the percent the evidence's environment reads. */
export interface RolloutTarget<R extends PercentRollout = PercentRollout> {
  path: string;
  resource: R;
  /** The effective percent in `options.env` (the shared percent without one). */
  percent: number;
  /** ` in <env>` when the environment overrides the percent, else empty. */
  where: string;
  /** The edit that sets the percent the environment reads. */
  setPercent: (to: number) => Checked<FileEdit[]>;
}

/**
 * The rollout a decision is about, or undefined when there is nothing to plan: an unknown rollout
 * (recorded as an error) or one killed in the evidence's environment.
 */
export function rolloutTarget(context: PlanContext, a: CanaryAnalysis | ShadowAnalysis): RolloutTarget | undefined {
  const { project, options } = context;
  const name = a.kind === 'canary' ? a.id : a.rollout;
  const path = project.files.get(fileKey('rollout', name));
  const resource = project.rollouts.get(name);
  if (!path || !resource || !('percent' in resource)) {
    context.errors.push(
      problem(
        'E_PROPOSE_UNKNOWN',
        '.',
        `no rollout file for '${name}'`,
        'the analysis and the project disagree: re-run from the same checkout',
      ),
    );
    return undefined;
  }
  const env = options.env;
  const effective = effectivePercent(resource, env);
  if (effective.killed) return undefined;
  // Edit what the environment reads: its override when it has one, else the shared value.
  const percentKey = effective.percentOverridden && env !== undefined ? ['environments', env, 'percent'] : ['percent'];
  const where = percentKey.length > 1 ? ` in ${env}` : '';
  const setPercent = (to: number) => editFile(context, path, (t) => setScalar(t, percentKey, to, path));
  return { path, resource, percent: effective.percent, where, setPercent };
}
