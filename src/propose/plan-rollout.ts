import { nextStage, type CanaryAnalysis, type ShadowAnalysis } from '../analysis/index.ts';
import { pushProposal, type PlanContext } from './plan-context.ts';
import { planModelRollout } from './plan-model-rollout.ts';
import { rolloutTarget, type RolloutTarget } from './rollout-target.ts';

/** Plans a canary or model-rollout decision: finds its rollout file, then decides per kind. */
export function planRollout(context: PlanContext, a: CanaryAnalysis | ShadowAnalysis): void {
  const target = rolloutTarget(context, a);
  if (target === undefined) return;
  if (a.kind === 'canary') {
    planCanary(context, a, target);
    return;
  }
  // ModelRollout, decided by its production shadow pairs.
  const { resource } = target;
  if (resource.kind !== 'ModelRollout') return;
  planModelRollout(context, a, { ...target, resource });
}

/** A canary reverts to 0% or advances to its next stage only (never skips one). */
function planCanary(context: PlanContext, a: CanaryAnalysis, target: RolloutTarget): void {
  const { resource, percent, where, setPercent } = target;
  if (a.decision === 'revert' && percent > 0) {
    pushProposal(context, {
      action: 'revert',
      analysis: a,
      kind: 'Canary',
      from: percent,
      to: 0,
      edits: setPercent(0),
      headline: `${percent}% → 0%${where} (${a.metric} index ${a.index?.index.toFixed(3) ?? '–'})`,
      where,
    });
  } else if (
    a.decision === 'advance' &&
    a.nextPercent !== null &&
    a.nextPercent === nextStage(percent, resource.stages)
  ) {
    pushProposal(context, {
      action: 'advance',
      analysis: a,
      kind: 'Canary',
      from: percent,
      to: a.nextPercent,
      edits: setPercent(a.nextPercent),
      headline: `${percent}% → ${a.nextPercent}%${where}`,
      where,
    });
  }
}
