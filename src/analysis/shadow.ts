import type { ModelRolloutResource } from '../config/types.ts';
import type { ShadowSummary } from '@switchyard/data';
import type { ShadowAnalysis, ShadowWorstPair } from './types.ts';

export interface ShadowEvidence {
  summary: ShadowSummary;
  histogram: number[];
  worst: ShadowWorstPair[];
}

/**
 * Production shadow pairs against the rollout's gate. Same rule as the CI shadow eval
 * (`avg > minAvgSimilarity && min > minMinSimilarity`), plus a minimum number of scored pairs so a
 * handful of lucky pairs cannot switch a model. Pure.
 */
export function analyzeShadow(rollout: ModelRolloutResource, evidence: ShadowEvidence, options: { minPairs?: number } = {}): ShadowAnalysis {
  const minPairs = options.minPairs ?? 100;
  const { summary } = evidence;
  const gate = { ...rollout.shadow.gate, minPairs };
  const reasons: string[] = [];
  const enough = summary.scored >= minPairs;
  if (!enough) reasons.push(`${summary.scored} scored pairs of the ${minPairs} required`);
  const avgOk = summary.avg !== null && summary.avg > gate.minAvgSimilarity;
  const minOk = summary.min !== null && summary.min > gate.minMinSimilarity;
  if (summary.avg !== null && !avgOk) reasons.push(`average similarity ${summary.avg.toFixed(3)} is not above ${gate.minAvgSimilarity}`);
  if (summary.min !== null && !minOk) reasons.push(`minimum similarity ${summary.min.toFixed(3)} is not above ${gate.minMinSimilarity}`);
  if (summary.errors > 0) reasons.push(`${summary.errors} shadow calls failed (not scored)`);
  const readyToSwitch = enough && avgOk && minOk;
  if (readyToSwitch) reasons.unshift(`gate met on ${summary.scored} production pairs`);
  return {
    kind: 'shadow',
    rollout: rollout.flag,
    model: rollout.model,
    to: rollout.to,
    percent: rollout.percent,
    pairs: summary.pairs,
    scored: summary.scored,
    errors: summary.errors,
    avg: summary.avg,
    min: summary.min,
    p10: summary.p10,
    p50: summary.p50,
    gate,
    readyToSwitch,
    // A single low pair can come from a bad request; call it failing only when the average misses.
    failing: enough && !avgOk,
    reasons,
    histogram: evidence.histogram,
    worst: evidence.worst,
  };
}
