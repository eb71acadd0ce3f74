import type { ShadowSummary } from '@switchyard/data';
import type { ProportionTestResult, RatioResult, SequentialResult, SrmResult, WelchResult } from '../stats/index.ts';

/** Per-variant evidence: units exposed and the unit-level summary of the metric. */
export interface VariantEvidence {
  variant: string;
  /** Distinct units exposed to the variant. */
  exposed: number;
  /** Units with at least one observation of the metric. */
  n: number;
  mean: number;
  variance: number;
  binary: boolean;
}

/** Cumulative mean of a metric per variant over time buckets (for the xychart). */
export interface SeriesEvidence {
  fromMs: number;
  toMs: number;
  buckets: number;
  /** variant → cumulative mean after each bucket (null before the first observation). */
  cumulative: Record<string, Array<number | null>>;
}

export interface Comparison {
  variant: string;
  /** Always compared with `control`. */
  test: 'welch' | 'two-proportion';
  difference: number;
  /** difference / control mean (null when the control mean is 0). */
  relativeLift: number | null;
  ci: [number, number];
  pValue: number;
  /** Always-valid (mSPRT) result: what decisions use, because scheduled analysis peeks repeatedly. */
  sequential: { pValue: number; ci: [number, number]; significant: boolean } | null;
  fixed: WelchResult | ProportionTestResult;
}

export interface GuardrailCheck {
  metric: string;
  variant: string;
  controlMean: number;
  mean: number;
  /** (variant − control) / control, when the control mean is not 0. */
  relativeChange: number | null;
  pValue: number | null;
  /** Significantly worse (higher) than control by more than the tolerance. */
  breached: boolean;
}

export type ExperimentDecision = 'winner' | 'no difference yet' | 'blocked: SRM';

export interface ExperimentAnalysis {
  kind: 'experiment';
  id: string;
  metric: string;
  alpha: number;
  minSamples: number;
  variants: VariantEvidence[];
  comparisons: Comparison[];
  srm: SrmResult | null;
  guardrails: GuardrailCheck[];
  decision: ExperimentDecision;
  winner: string | null;
  reasons: string[];
  series: SeriesEvidence | null;
}

export interface ShadowWorstPair {
  timeMs: number;
  unitKey: string;
  requestId: string | null;
  similarity: number;
  primaryOutput: string | null;
  candidateOutput: string | null;
}

/** The store's shadow summary (pairs, scored, errors, avg, min, p10, p50) plus the decision. */
export interface ShadowAnalysis extends ShadowSummary {
  kind: 'shadow';
  rollout: string;
  model: string;
  to: string;
  percent: number;
  gate: { minAvgSimilarity: number; minMinSimilarity: number; minPairs: number };
  readyToSwitch: boolean;
  /** The evidence says the candidate is clearly not ready (enough pairs, gate missed). */
  failing: boolean;
  reasons: string[];
  /** Counts of scored pairs in 10 similarity bins over [0, 1]. */
  histogram: number[];
  worst: ShadowWorstPair[];
}

export type CanaryDecision = 'revert' | 'hold' | 'advance';

export interface CanaryAnalysis {
  kind: 'canary';
  id: string;
  metric: string;
  percent: number;
  stages: number[];
  killed: boolean;
  control: VariantEvidence | null;
  candidate: VariantEvidence | null;
  ratio: RatioResult | null;
  thresholds: { revertBelow: number; advanceAbove: number; minSamples: number };
  guardrails: GuardrailCheck[];
  decision: CanaryDecision;
  /** Percent the canary should move to (advance: the next stage, never skipping; revert: 0). */
  nextPercent: number | null;
  reasons: string[];
  series: SeriesEvidence | null;
}

export type Analysis = ExperimentAnalysis | ShadowAnalysis | CanaryAnalysis;

export type { SequentialResult };
