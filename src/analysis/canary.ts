import type { CanaryResource } from '../config/types.ts';
import { ratioCiDelta, relativeIndex } from '../stats/index.ts';
import { dataProblems } from './data-checks.ts';
import { DEFAULT_MDE, MIN_SAMPLES_FLOOR } from './experiment.ts';
import { checkGuardrails, type GuardrailInput, type GuardrailOptions } from './guardrails.ts';
import { canaryMetric, DEFAULT_GUARDRAIL, type ResolvedMetric } from './metric-definitions.ts';
import { lookKey, sequentialLook, type SequentialStates } from './sequential-state.ts';
import { nextStage } from './stages.ts';
import type { CanaryAnalysis, SeriesEvidence, VariantEvidence } from './types.ts';

export interface CanaryEvidence {
  /** Configured metric, per arm (`control`, `candidate`). */
  variants: VariantEvidence[];
  /** Guardrail metric → per arm (only metrics that were recorded). */
  guardrails: Record<string, VariantEvidence[]>;
  series: SeriesEvidence | null;
}

/** Guardrail metric names looked for when analysing a canary (continuous, lower is better). */
export const CANARY_GUARDRAILS = ['error', 'latency_ms', 'cost_usd'] as const;

export interface CanaryAnalysisOptions extends GuardrailOptions {
  alpha?: number;
  state?: SequentialStates;
}

/**
 * Candidate vs control on the configured metric, direction-aware: the relative index
 * 1 + d·(candidate − control)/|control| (d = +1 when higher is better) is what the YAML's
 * `revertBelow` / `advanceAbove` (the article's 0.95 / 1.05) are compared with, so a negative
 * metric or a lower-is-better one cannot invert the decision. Because the canary is looked at
 * every hour, acting needs the always-valid evidence too: revert when the index is below
 * `revertBelow` (or a guardrail is breached, sequential + Holm) *and* the mSPRT's running-minimum
 * p-value says the candidate is worse (its confidence sequence lies below 1); advance when the
 * index is above `advanceAbove` and the candidate is significantly better. Hold otherwise, on any
 * missing-data problem, and below the minimum sample (floored at `MIN_SAMPLES_FLOOR`). Pure.
 */
export function analyzeCanary(
  canary: CanaryResource,
  evidence: CanaryEvidence,
  options: CanaryAnalysisOptions = {},
): CanaryAnalysis {
  const alpha = options.alpha ?? 0.05;
  const prev = options.state ?? {};
  const metric = canaryMetric(canary);
  const control = evidence.variants.find((v) => v.variant === 'control') ?? null;
  const candidate = evidence.variants.find((v) => v.variant === 'candidate') ?? null;
  const { revertBelow, advanceAbove, minSamples } = canary.analysis;
  const effectiveMinSamples = Math.max(minSamples, MIN_SAMPLES_FLOOR);
  const arms = [
    control ?? { variant: 'control', exposed: 0, n: 0, mean: 0, variance: 0, binary: metric.kind === 'binary' },
    candidate ?? { variant: 'candidate', exposed: 0, n: 0, mean: 0, variance: 0, binary: metric.kind === 'binary' },
  ];
  const problems = dataProblems(arms, metric);
  const enough = (control?.n ?? 0) >= effectiveMinSamples && (candidate?.n ?? 0) >= effectiveMinSamples;
  const eligible = problems.length === 0 && enough && !canary.killed && canary.percent > 0;
  const compared = compareArms(control, candidate, metric, alpha, prev, eligible);
  const state: SequentialStates = { ...compared.state };
  const { ratio, index, sequential } = compared;
  const g = canaryGuardrails(evidence, prev, eligible, effectiveMinSamples, options);
  Object.assign(state, g.states);
  const guardrails = g.checks;
  const base = {
    kind: 'canary' as const,
    id: canary.flag,
    metric: metric.name,
    metricDefinition: { kind: metric.kind, direction: metric.direction, declared: metric.declared },
    percent: canary.percent,
    stages: canary.stages,
    killed: canary.killed,
    control,
    candidate,
    ratio,
    index,
    sequential,
    thresholds: { revertBelow, advanceAbove, minSamples, effectiveMinSamples },
    guardrails,
    problems,
    series: evidence.series,
    state,
  };
  return { ...base, ...canaryDecision(canary, base, metric, effectiveMinSamples, enough) };
}

/**
 * Candidate vs control on the configured metric: the plain ratio, the direction-aware index and
 * the mSPRT look (stored in `state` only when the look is `eligible`, and never significant
 * otherwise).
 */
function compareArms(
  control: VariantEvidence | null,
  candidate: VariantEvidence | null,
  metric: ResolvedMetric,
  alpha: number,
  prev: SequentialStates,
  eligible: boolean,
): Pick<CanaryAnalysis, 'ratio' | 'index' | 'sequential' | 'state'> {
  const state: SequentialStates = {};
  const ratio = control && candidate ? ratioCiDelta(control, candidate, alpha) : null;
  const rel = control && candidate ? relativeIndex(control, candidate, metric.direction, alpha) : null;
  const key = lookKey(metric.name, 'candidate');
  const tau = control
    ? DEFAULT_MDE * (Math.abs(control.mean) > 0 ? Math.abs(control.mean) : Math.sqrt(control.variance))
    : 0;
  const seq = control && candidate ? sequentialLook(prev[key], control, candidate, alpha, tau) : null;
  if (seq && eligible) state[key] = seq.state;
  const sequential = seq ? (eligible ? seq.look : { ...seq.look, significant: false }) : null;
  const d = metric.direction === 'higher' ? 1 : -1;
  const index = rel
    ? {
        ...rel,
        sequentialCi:
          seq && control
            ? (seq.look.ci.map((x) => 1 + (d * x) / Math.abs(control.mean)).sort((a, b) => a - b) as [number, number])
            : null,
      }
    : null;
  return { ratio, index, sequential, state };
}

/** The recorded guardrail metrics (both arms present), checked sequentially with Holm. */
function canaryGuardrails(
  evidence: CanaryEvidence,
  prev: SequentialStates,
  eligible: boolean,
  effectiveMinSamples: number,
  options: GuardrailOptions,
): ReturnType<typeof checkGuardrails> {
  const guardrailInputs: GuardrailInput[] = [];
  for (const [name, list] of Object.entries(evidence.guardrails)) {
    const c = list.find((v) => v.variant === 'control');
    const t = list.find((v) => v.variant === 'candidate');
    if (c && t)
      guardrailInputs.push({ metric: { name, ...DEFAULT_GUARDRAIL, declared: false }, control: c, variant: t });
  }
  return checkGuardrails(
    guardrailInputs,
    prev,
    eligible && guardrailInputs.every((x) => x.control.n >= effectiveMinSamples && x.variant.n >= effectiveMinSamples),
    options,
  );
}

/**
 * Hold, revert or advance, with the reasons (see {@link analyzeCanary}): hold on a killed or
 * reverted canary, missing data or too few units; revert on a breached guardrail or a significantly
 * worse index below `revertBelow`; advance on a significantly better one above `advanceAbove`.
 */
function canaryDecision(
  canary: CanaryResource,
  a: Pick<CanaryAnalysis, 'control' | 'candidate' | 'index' | 'sequential' | 'guardrails' | 'problems'>,
  metric: ResolvedMetric,
  effectiveMinSamples: number,
  enough: boolean,
): Pick<CanaryAnalysis, 'decision' | 'nextPercent' | 'reasons'> {
  const { control, candidate, index, sequential, guardrails, problems } = a;
  const { revertBelow, advanceAbove } = canary.analysis;
  const reasons: string[] = [];
  const hold = (): Pick<CanaryAnalysis, 'decision' | 'nextPercent' | 'reasons'> => ({
    decision: 'hold',
    nextPercent: null,
    reasons,
  });
  if (canary.killed) {
    reasons.push('the canary is killed');
    return hold();
  }
  if (canary.percent === 0) {
    reasons.push('the canary is at 0% (reverted)');
    return hold();
  }
  if (problems.length > 0) {
    reasons.push(...problems.map((p) => `missing data (${p.code}): ${p.message}`));
    return hold();
  }
  if (!enough) {
    reasons.push(
      `needs ${effectiveMinSamples} units with ${metric.name} per arm (control ${control?.n ?? 0}, candidate ${candidate?.n ?? 0})`,
    );
    return hold();
  }
  for (const x of guardrails.filter((y) => y.breached)) {
    reasons.push(
      `guardrail ${x.metric} breached: candidate ${x.mean.toPrecision(4)} vs control ${x.controlMean.toPrecision(4)} (always-valid p = ${x.pValue?.toExponential(2)}, Holm-adjusted ${x.adjustedP?.toExponential(2)})`,
    );
  }
  if (guardrails.some((x) => x.breached)) return { decision: 'revert', nextPercent: 0, reasons };
  if (!index || !sequential) {
    reasons.push(
      `the relative index is undefined (control mean ${control?.mean}): a metric whose control mean is 0 has no relative scale; record a metric with a non-zero baseline`,
    );
    return hold();
  }
  const d = metric.direction === 'higher' ? 1 : -1;
  const r = index.index.toFixed(3);
  const ci = index.sequentialCi ? `[${index.sequentialCi[0].toFixed(3)}, ${index.sequentialCi[1].toFixed(3)}]` : '–';
  const what = `candidate vs control ${metric.name} (${metric.direction} is better) = ${r}, always-valid CI ${ci}`;
  const worse = sequential.significant && sequential.direction === -d;
  const better = sequential.significant && sequential.direction === d;
  if (index.index < revertBelow && worse) {
    reasons.unshift(
      `${what}: below ${revertBelow} and significantly worse than control (p = ${sequential.minP.toExponential(2)})`,
    );
    return { decision: 'revert', nextPercent: 0, reasons };
  }
  if (index.index > advanceAbove && better) {
    const next = nextStage(canary.percent, canary.stages);
    if (next === null) {
      reasons.push(`${what}, but the canary is already at its last stage (${canary.percent}%)`);
      return hold();
    }
    reasons.push(
      `${what}: above ${advanceAbove} and significantly better than control (p = ${sequential.minP.toExponential(2)})`,
    );
    return { decision: 'advance', nextPercent: next, reasons };
  }
  reasons.push(`${what}: between ${revertBelow} and ${advanceAbove}, or not yet significant`);
  return hold();
}
