import type { ModelRolloutResource } from '../config/types.ts';
import type { ShadowSummary } from '@switchyard/data';
import type { ShadowAnalysis, ShadowWorstPair } from './types.ts';

export interface ShadowEvidence {
  summary: ShadowSummary;
  histogram: number[];
  worst: ShadowWorstPair[];
}

export interface ShadowOptions {
  /** Scored pairs required before the gate may pass. Default 100. */
  minPairs?: number;
  /** Largest share of failed shadow calls (of all shadow calls) that still allows a switch. Default 0.02. */
  maxErrorRate?: number;
}

/** The minimum rule's sample-size effect: P(n pairs all above the threshold) at an outlier rate q. */
function minimumRule(summary: ShadowSummary) {
  if (summary.scored === 0 || summary.atOrBelowMin === null) return null;
  const share = summary.atOrBelowMin / summary.scored;
  return {
    atOrBelow: summary.atOrBelowMin,
    share,
    passChanceNow: (1 - share) ** summary.scored,
    passChanceAt10x: (1 - share) ** (10 * summary.scored),
  };
}

/**
 * Production shadow pairs against the rollout's gate (pure). Same rule as the CI shadow eval
 * (`avg > minAvgSimilarity && min > minMinSimilarity`), plus: at least `minPairs` scored pairs;
 * failed shadow calls count — their share of all shadow calls must not exceed `maxErrorRate`
 * (a candidate that answers 100 requests well and fails 400 is not ready); and no score may lie
 * outside [0, 1] (the scorer is broken). The minimum rule is the article's and is kept, but it gets
 * harder to pass as pairs accumulate (with 0.5% outliers, P(ready) is ~60% at 100 pairs and ~0 at
 * 2,000), so the analysis reports the observed outlier share and what it implies.
 */
export function analyzeShadow(
  rollout: ModelRolloutResource,
  evidence: ShadowEvidence,
  options: ShadowOptions = {},
): ShadowAnalysis {
  const minPairs = options.minPairs ?? 100;
  const maxErrorRate = options.maxErrorRate ?? 0.02;
  const { summary } = evidence;
  const gate = { ...rollout.shadow.gate, minPairs, maxErrorRate };
  const reasons: string[] = [];
  const enough = summary.scored >= minPairs;
  if (!enough) reasons.push(`${summary.scored} scored pairs of the ${minPairs} required`);
  const avgOk = summary.avg !== null && summary.avg > gate.minAvgSimilarity;
  const minOk = summary.min !== null && summary.min > gate.minMinSimilarity;
  if (summary.avg !== null && !avgOk)
    reasons.push(`average similarity ${summary.avg.toFixed(3)} is not above ${gate.minAvgSimilarity}`);
  if (summary.min !== null && !minOk)
    reasons.push(`minimum similarity ${summary.min.toFixed(3)} is not above ${gate.minMinSimilarity}`);
  const errorRate = summary.pairs > 0 ? summary.errors / summary.pairs : null;
  const errorsOk = errorRate === null || errorRate <= maxErrorRate;
  if (summary.errors > 0) {
    reasons.push(
      `${summary.errors} of ${summary.pairs} shadow calls failed (${((errorRate ?? 0) * 100).toFixed(1)}%, at most ${(maxErrorRate * 100).toFixed(1)}% allowed)`,
    );
  }
  const invalidOk = summary.invalid === 0;
  if (!invalidOk)
    reasons.push(
      `${summary.invalid} similarity scores are outside [0, 1] or not numbers: the scorer is broken, fix it before trusting the gate`,
    );
  const rule = minimumRule(summary);
  if (rule && rule.atOrBelow > 0) {
    const pctOf = (x: number) => `${(x * 100).toPrecision(3)}%`;
    reasons.push(
      `${rule.atOrBelow} of ${summary.scored} scored pairs (${pctOf(rule.share)}) are at or below ${gate.minMinSimilarity}: the minimum rule fails on a single such pair, so at this rate ${summary.scored} pairs pass with probability ${pctOf(rule.passChanceNow)} and ${10 * summary.scored} pairs with ${pctOf(rule.passChanceAt10x)} — more traffic makes the gate harder, not easier`,
    );
  }
  const readyToSwitch = enough && avgOk && minOk && errorsOk && invalidOk;
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
    invalid: summary.invalid,
    atOrBelowMin: summary.atOrBelowMin,
    avg: summary.avg,
    min: summary.min,
    p10: summary.p10,
    p50: summary.p50,
    gate,
    errorRate,
    minimumRule: rule,
    readyToSwitch,
    // A single low pair can come from a bad request; call it failing only when the average misses.
    failing: enough && !avgOk,
    reasons,
    histogram: evidence.histogram,
    worst: evidence.worst,
  };
}
