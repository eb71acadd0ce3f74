import type { CanaryResource, FlagResource, ModelRolloutResource, PercentOverride } from '../config/types.ts';

/** Rollout kinds with a percentage, a kill switch and per-environment overrides of both. */
export type PercentResource = FlagResource | ModelRolloutResource | CanaryResource;

/** What one environment actually serves of a percentage resource. */
export interface EffectivePercent {
  percent: number;
  killed: boolean;
  /** The environment overrides `percent` (edits of the percent belong in `environments.<env>.percent`). */
  percentOverridden: boolean;
}

/**
 * Applies an environment's override of a percentage resource (no environment: the top-level
 * values). The kill switch is global: an override may kill one environment but never revive a
 * resource killed at the top level, so a stale or hand-written `killed: false` cannot defeat an
 * emergency kill.
 */
export function effectivePercent(r: PercentResource, env: string | undefined): EffectivePercent {
  const o: PercentOverride | undefined = env === undefined ? undefined : r.environments?.[env];
  return {
    percent: o?.percent ?? r.percent,
    killed: r.killed || (o?.killed ?? false),
    percentOverridden: o?.percent !== undefined,
  };
}
