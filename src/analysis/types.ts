import type { ShadowSummary } from '@switchyard/data';
import type { MetricDefinition } from '../config/types.ts';
import type {
  ProportionTestResult,
  RatioResult,
  RelativeIndexResult,
  SequentialResult,
  SrmResult,
  WelchResult,
} from '../stats/index.ts';
import type { DataProblem } from './data-checks.ts';
import type { SequentialLook, SequentialStates } from './sequential-state.ts';

/** Per-variant evidence: units exposed and the unit-level summary of the metric. */
export interface VariantEvidence {
  variant: string;
  /** Distinct units exposed to the variant. */
  exposed: number;
  /**
   * Units in the estimate: units with at least one observation of the metric, or — for a binary
   * metric — every exposed unit (one that never converted counts as 0).
   */
  n: number;
  mean: number;
  variance: number;
  binary: boolean;
  /** Units that reported the metric at least once (defaults to `n`). */
  reporting?: number;
  /** Why the values cannot be used (e.g. a binary metric with values other than 0/1). */
  invalid?: string;
}

/** Cumulative mean of a metric per variant over time buckets (for the xychart). */
export interface SeriesEvidence {
  fromMs: number;
  toMs: number;
  buckets: number;
  /** variant → cumulative unit-level mean after each time bucket (null before the first unit). */
  cumulative: Record<string, Array<number | null>>;
  /** variant → pointwise 95% band of that mean (null with fewer than two units). */
  band?: Record<string, Array<[number, number] | null>>;
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
  /**
   * Always-valid (mSPRT) result: what decisions use, because scheduled analysis peeks repeatedly.
   * `minP` is the running minimum over looks stored in the event store.
   */
  sequential: SequentialLook | null;
  fixed: WelchResult | ProportionTestResult;
}

export interface GuardrailCheck {
  metric: string;
  variant: string;
  controlMean: number;
  mean: number;
  /** Which way is better for this guardrail. */
  direction: MetricDefinition['direction'];
  /** (variant − control) / |control|, when the control mean is not 0. */
  relativeChange: number | null;
  /** Running minimum of the always-valid p-value (null before the first eligible look). */
  pValue: number | null;
  /** Holm-adjusted across every guardrail × variant of the decision. */
  adjustedP: number | null;
  /** Significantly worse than control (sequential, Holm) by more than the tolerance. */
  breached: boolean;
}

/** SRM: the χ² statistic for display, decided by the sequential test's running minimum. */
export interface SrmEvidence extends SrmResult {
  /** Always-valid p-value of the sequential multinomial test at this look. */
  sequentialP: number;
  /** Its running minimum over looks (decides `mismatch`). */
  minP: number;
}

export type ExperimentDecision = 'winner' | 'no difference yet' | 'blocked: SRM' | 'blocked: missing data';

export interface ExperimentAnalysis {
  kind: 'experiment';
  id: string;
  metric: string;
  /** How the primary metric is analysed; `declared` false when defaults were assumed. */
  metricDefinition: MetricDefinition & { declared: boolean };
  alpha: number;
  /** The configured minimum and the floor actually applied (max of it and `MIN_SAMPLES_FLOOR`). */
  minSamples: number;
  effectiveMinSamples: number;
  variants: VariantEvidence[];
  comparisons: Comparison[];
  srm: SrmEvidence | null;
  guardrails: GuardrailCheck[];
  problems: DataProblem[];
  decision: ExperimentDecision;
  winner: string | null;
  reasons: string[];
  series: SeriesEvidence | null;
  /** Sequential state after this look (the caller stores it for the next look). */
  state: SequentialStates;
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
  gate: { minAvgSimilarity: number; minMinSimilarity: number; minPairs: number; maxErrorRate: number };
  /** Failed shadow calls / all shadow calls (null with none). */
  errorRate: number | null;
  /**
   * The minimum rule's sample-size effect: the share q of scored pairs at or below
   * `minMinSimilarity`, and the chance (1 − q)^n that n pairs drawn at that rate all pass, at the
   * current n and at 10× as many. A rule on the minimum gets harder to pass as pairs accumulate.
   */
  minimumRule: { atOrBelow: number; share: number; passChanceNow: number; passChanceAt10x: number } | null;
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
  metricDefinition: MetricDefinition & { declared: boolean };
  /** Plain candidate/control ratio of means with the delta-method CI (display). */
  ratio: RatioResult | null;
  /** Direction-aware relative index (1 = equal, 0.95 = 5% worse) with its fixed and always-valid CIs. */
  index: (RelativeIndexResult & { sequentialCi: [number, number] | null }) | null;
  sequential: SequentialLook | null;
  thresholds: { revertBelow: number; advanceAbove: number; minSamples: number; effectiveMinSamples: number };
  guardrails: GuardrailCheck[];
  problems: DataProblem[];
  decision: CanaryDecision;
  /** Percent the canary should move to (advance: the next stage, never skipping; revert: 0). */
  nextPercent: number | null;
  reasons: string[];
  series: SeriesEvidence | null;
  state: SequentialStates;
}

export type Analysis = ExperimentAnalysis | ShadowAnalysis | CanaryAnalysis;

export type { SequentialResult };
