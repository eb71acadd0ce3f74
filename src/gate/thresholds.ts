/** The report's thresholds under the base policy: what a result file says can only be tightened. */
import type { Project, ShadowGate } from '../config/types.ts';
import { effectiveMinPassRate, stricterShadowGate, type GatePolicy } from './policy.ts';

/** How the report reads its pass/fail bars: the base policy can only tighten what a result file says. */
export interface ReportThresholds {
  minPassRate(prompt: string, own: number): number;
  shadowGate(comparisonId: string, own: ShadowGate): ShadowGate;
}

/**
 * Pass rates: the version's own bar, the project floor and the base's active version's bar, the
 * highest wins. Shadow gates: the run's gate, the project floor (`defaults.shadowGate`) and, for a
 * model rollout that exists on the base, the base rollout's gate, field by field the strictest.
 */
export function policyThresholds(policy: GatePolicy, base: Project | undefined): ReportThresholds {
  return {
    minPassRate: (prompt, own) => effectiveMinPassRate(policy, prompt, own),
    shadowGate: (id, own): ShadowGate => {
      const floor = stricterShadowGate(own, policy.shadowGate);
      const flag = id.startsWith('rollout:') ? id.slice('rollout:'.length) : undefined;
      const was = flag === undefined ? undefined : base?.rollouts.get(flag);
      return was?.kind === 'ModelRollout' ? stricterShadowGate(floor, was.shadow.gate) : floor;
    },
  };
}
