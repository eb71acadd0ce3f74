import type { CanaryResource } from '../config/types.ts';
import { ratioCiDelta } from '../stats/index.ts';
import { checkGuardrail, type GuardrailOptions } from './guardrails.ts';
import { nextStage } from './stages.ts';
import type { CanaryAnalysis, SeriesEvidence, VariantEvidence } from './types.ts';

export interface CanaryEvidence {
  /** Configured metric, per arm (`control`, `candidate`). */
  variants: VariantEvidence[];
  /** Guardrail metric → per arm (only metrics that were recorded). */
  guardrails: Record<string, VariantEvidence[]>;
  series: SeriesEvidence | null;
}

/** Guardrail metric names looked for when analysing a canary ("lower is better"). */
export const CANARY_GUARDRAILS = ['error', 'latency_ms', 'cost_usd'] as const;

/**
 * Candidate vs control on the configured metric (higher is better) with the ratio's delta-method
 * CI, against the YAML thresholds. Deliberately asymmetric, because reverting is cheap and safe
 * and advancing is not: revert when the point ratio is below `revertBelow` (or a guardrail is
 * breached); advance only when the ratio is above `advanceAbove` *and* its CI lies above 1; else
 * hold. Both arms need `minSamples` units first. Pure.
 */
export function analyzeCanary(canary: CanaryResource, evidence: CanaryEvidence, options: GuardrailOptions & { alpha?: number } = {}): CanaryAnalysis {
  const control = evidence.variants.find((v) => v.variant === 'control') ?? null;
  const candidate = evidence.variants.find((v) => v.variant === 'candidate') ?? null;
  const { revertBelow, advanceAbove, minSamples } = canary.analysis;
  const ratio = control && candidate ? ratioCiDelta(control, candidate, options.alpha ?? 0.05) : null;
  const guardrails = [];
  for (const [metric, list] of Object.entries(evidence.guardrails)) {
    const c = list.find((v) => v.variant === 'control');
    const t = list.find((v) => v.variant === 'candidate');
    if (c && t) guardrails.push(checkGuardrail(metric, c, t, options));
  }
  const reasons: string[] = [];
  const base = {
    kind: 'canary' as const,
    id: canary.flag,
    metric: canary.analysis.metric,
    percent: canary.percent,
    stages: canary.stages,
    killed: canary.killed,
    control,
    candidate,
    ratio,
    thresholds: { revertBelow, advanceAbove, minSamples },
    guardrails,
    series: evidence.series,
  };
  const hold = (): CanaryAnalysis => ({ ...base, decision: 'hold', nextPercent: null, reasons });
  if (canary.killed) {
    reasons.push('the canary is killed');
    return hold();
  }
  if (canary.percent === 0) {
    reasons.push('the canary is at 0% (reverted)');
    return hold();
  }
  const nControl = control?.n ?? 0;
  const nCandidate = candidate?.n ?? 0;
  if (nControl < minSamples || nCandidate < minSamples) {
    reasons.push(`needs ${minSamples} units with ${canary.analysis.metric} per arm (control ${nControl}, candidate ${nCandidate})`);
    return hold();
  }
  for (const g of guardrails.filter((x) => x.breached)) {
    reasons.push(`guardrail ${g.metric} breached: candidate ${g.mean.toPrecision(4)} vs control ${g.controlMean.toPrecision(4)} (p = ${g.pValue?.toExponential(2)})`);
  }
  if (!ratio) {
    reasons.push(`the ratio is undefined (control mean ${control?.mean})`);
    return hold();
  }
  const r = ratio.ratio.toFixed(3);
  const ci = `[${ratio.ci[0].toFixed(3)}, ${ratio.ci[1].toFixed(3)}]`;
  if (guardrails.some((g) => g.breached) || ratio.ratio < revertBelow) {
    if (ratio.ratio < revertBelow) reasons.unshift(`candidate/control ${canary.analysis.metric} = ${r} ${ci} is below ${revertBelow}`);
    return { ...base, decision: 'revert', nextPercent: 0, reasons };
  }
  if (ratio.ratio > advanceAbove && ratio.ci[0] > 1) {
    const next = nextStage(canary.percent, canary.stages);
    if (next === null) {
      reasons.push(`candidate/control = ${r} ${ci}, but the canary is already at its last stage (${canary.percent}%)`);
      return hold();
    }
    reasons.push(`candidate/control ${canary.analysis.metric} = ${r} ${ci} is above ${advanceAbove} and its CI excludes 1`);
    return { ...base, decision: 'advance', nextPercent: next, reasons };
  }
  reasons.push(`candidate/control ${canary.analysis.metric} = ${r} ${ci}: between ${revertBelow} and ${advanceAbove}, or not yet significant`);
  return hold();
}
