import type { Experiment } from '../config/types.ts';
import { srmCheck, srmSequential, twoProportionZTest, welchTTest } from '../stats/index.ts';
import { dataProblems } from './data-checks.ts';
import { checkGuardrails, type GuardrailInput, type GuardrailOptions } from './guardrails.ts';
import { experimentMetrics } from './metric-definitions.ts';
import { foldLook, lookKey, sequentialLook, type SequentialStates } from './sequential-state.ts';
import type { Comparison, ExperimentAnalysis, SeriesEvidence, SrmEvidence, VariantEvidence } from './types.ts';

export interface ExperimentEvidence {
  /** Primary metric per variant. */
  variants: VariantEvidence[];
  /** Guardrail metric name → evidence per variant (only metrics that were recorded). */
  guardrails: Record<string, VariantEvidence[]>;
  series: SeriesEvidence | null;
}

export interface ExperimentAnalysisOptions extends GuardrailOptions {
  /** Significance level of the primary comparison. Default 0.05. Guardrails have their own. */
  alpha?: number;
  /** Sequential state from earlier looks (from the store); none = first look. */
  state?: SequentialStates;
  /** The floor under `minSamples` (default `MIN_SAMPLES_FLOOR`); lowered only by the simulation that justifies it. */
  minSamplesFloor?: number;
}

/**
 * Smallest number of units per arm before any decision, whatever `minSamples` says. The mSPRT
 * plugs in estimated variances, which are unreliable in tiny samples: with `minSamples: 1` an A/A
 * test judged from 2 units per arm declared false winners 7.6% of the time. `npm run bench:decisions`
 * shows the floor keeps every A/A false-decision rate ≤ 5% over 20 looks (docs/evidence.md).
 */
export const MIN_SAMPLES_FLOOR = 100;

/** Relative MDE assumed when an experiment declares none: the mSPRT mixing scale is 10% of the control mean. */
export const DEFAULT_MDE = 0.1;

/** SRM blocks when the running minimum of the sequential test's p-value falls below this. */
export const SRM_ALPHA = 0.001;

function fixedTest(control: VariantEvidence, variant: VariantEvidence, alpha: number) {
  if (control.binary && variant.binary) {
    const r = twoProportionZTest(
      Math.round(control.mean * control.n),
      control.n,
      Math.round(variant.mean * variant.n),
      variant.n,
      alpha,
    );
    return r ? { test: 'two-proportion' as const, fixed: r } : null;
  }
  const r = welchTTest(control, variant, alpha);
  return r ? { test: 'welch' as const, fixed: r } : null;
}

/** The SRM look: χ² for display, the sequential multinomial test's running minimum to decide. */
function srmLook(observed: number[], weights: number[], prev: SequentialStates[string] | undefined) {
  const chi = srmCheck(observed, weights, SRM_ALPHA);
  if (!chi) return { srm: null, state: undefined };
  const seq = srmSequential(observed, weights, SRM_ALPHA);
  const state = foldLook(prev, seq.pValue, 0, Number.NaN);
  const srm: SrmEvidence = { ...chi, sequentialP: seq.pValue, minP: state.minP, mismatch: state.minP < SRM_ALPHA };
  return { srm, state };
}

/**
 * Analyses an A/B experiment (pure): missing-data checks, SRM (sequential), the minimum sample,
 * each variant against control (Welch or two-proportion for the fixed-horizon numbers, the mSPRT's
 * running-minimum always-valid p-value for the decision, direction-aware), sequential guardrails
 * with Holm, and one decision. Returns the sequential state to store for the next look.
 */
export function analyzeExperiment(
  experiment: Experiment,
  evidence: ExperimentEvidence,
  options: ExperimentAnalysisOptions = {},
): ExperimentAnalysis {
  const alpha = options.alpha ?? 0.05;
  const prev = options.state ?? {};
  const metrics = experimentMetrics(experiment);
  const primary = metrics.primary;
  const names = Object.keys(experiment.variants).sort((a, b) =>
    a === 'control' ? -1 : b === 'control' ? 1 : a.localeCompare(b),
  );
  const byName = new Map(evidence.variants.map((v) => [v.variant, v]));
  const variants: VariantEvidence[] = names.map(
    (name) =>
      byName.get(name) ?? {
        variant: name,
        exposed: 0,
        n: 0,
        mean: 0,
        variance: 0,
        binary: primary.kind === 'binary',
        reporting: 0,
      },
  );
  const reasons: string[] = [];
  const state: SequentialStates = {};
  const problems = dataProblems(variants, primary);
  const srmResult = srmLook(
    variants.map((v) => v.exposed),
    names.map((name) => experiment.variants[name]!.weight),
    prev.srm,
  );
  if (srmResult.state) state.srm = srmResult.state;
  const srm = srmResult.srm;
  const floor = options.minSamplesFloor ?? MIN_SAMPLES_FLOOR;
  const effectiveMinSamples = Math.max(experiment.minSamples, floor);
  const eligible = problems.length === 0 && !srm?.mismatch && variants.every((v) => v.n >= effectiveMinSamples);
  const control = variants.find((v) => v.variant === 'control');
  const comparisons: Comparison[] = [];
  const better = primary.direction === 'higher' ? 1 : -1;
  const tau = control
    ? (experiment.metrics.mde ?? DEFAULT_MDE) *
      (Math.abs(control.mean) > 0 ? Math.abs(control.mean) : Math.sqrt(control.variance))
    : 0;
  const guardrailInputs: GuardrailInput[] = [];
  if (control) {
    for (const variant of variants) {
      if (variant === control) continue;
      const fixed = fixedTest(control, variant, alpha);
      if (!fixed) continue;
      const key = lookKey(primary.name, variant.variant);
      const seq = sequentialLook(prev[key], control, variant, alpha, tau);
      if (seq && eligible) state[key] = seq.state;
      // Before the first eligible look nothing is remembered: show this look alone.
      const look = seq
        ? eligible
          ? seq.look
          : { ...seq.look, minP: Math.min(seq.look.pValue, prev[key]?.minP ?? 1), significant: false }
        : null;
      comparisons.push({
        variant: variant.variant,
        test: fixed.test,
        difference: fixed.fixed.difference,
        relativeLift: control.mean !== 0 ? fixed.fixed.difference / Math.abs(control.mean) : null,
        ci: fixed.fixed.ci,
        pValue: fixed.fixed.pValue,
        sequential: look,
        fixed: fixed.fixed,
      });
    }
    for (const g of metrics.guardrails) {
      const list = evidence.guardrails[g.name];
      const gControl = list?.find((v) => v.variant === 'control');
      if (!list || !gControl) continue;
      for (const v of list)
        if (v.variant !== 'control') guardrailInputs.push({ metric: g, control: gControl, variant: v });
    }
  }
  const guardrailEligible =
    eligible && guardrailInputs.every((g) => g.control.n >= effectiveMinSamples && g.variant.n >= effectiveMinSamples);
  const g = checkGuardrails(guardrailInputs, prev, guardrailEligible, options);
  Object.assign(state, g.states);
  const guardrails = g.checks;

  const base = {
    kind: 'experiment' as const,
    id: experiment.experiment,
    metric: primary.name,
    metricDefinition: { kind: primary.kind, direction: primary.direction, declared: primary.declared },
    alpha,
    minSamples: experiment.minSamples,
    effectiveMinSamples,
    variants,
    comparisons,
    srm,
    guardrails,
    problems,
    series: evidence.series,
    state,
  };
  if (problems.length > 0) {
    reasons.push(...problems.map((p) => `missing data (${p.code}): ${p.message}`));
    return { ...base, decision: 'blocked: missing data', winner: null, reasons };
  }
  if (srm?.mismatch) {
    reasons.push(
      `sample ratio mismatch: units ${srm.observed.join(' / ')} vs expected ${srm.expected.map((e) => e.toFixed(0)).join(' / ')} (sequential p = ${srm.minP.toExponential(2)} < ${SRM_ALPHA}; χ² = ${srm.chiSquare.toFixed(1)}); assignment or logging is broken, results are not trustworthy`,
    );
    return { ...base, decision: 'blocked: SRM', winner: null, reasons };
  }
  const short = variants.filter((v) => v.n < effectiveMinSamples);
  if (short.length > 0) {
    const raised =
      effectiveMinSamples > experiment.minSamples
        ? ` (minSamples ${experiment.minSamples} raised to the floor ${floor})`
        : '';
    for (const v of short)
      reasons.push(
        `${v.variant} has ${v.n} of the ${effectiveMinSamples} units with ${primary.name} required${raised}`,
      );
    return { ...base, decision: 'no difference yet', winner: null, reasons };
  }
  const breached = new Set(guardrails.filter((x) => x.breached).map((x) => x.variant));
  for (const x of guardrails.filter((y) => y.breached)) {
    reasons.push(
      `${x.variant} breaches guardrail ${x.metric}: ${x.mean.toPrecision(4)} vs ${x.controlMean.toPrecision(4)} (always-valid p = ${x.pValue?.toExponential(2)}, Holm-adjusted ${x.adjustedP?.toExponential(2)})`,
    );
  }
  const winners = comparisons.filter(
    (c) =>
      c.sequential?.significant &&
      c.sequential.direction === better &&
      better * c.difference > 0 &&
      !breached.has(c.variant),
  );
  if (winners.length > 0) {
    const best = winners.reduce((a, b) => (better * b.difference > better * a.difference ? b : a));
    reasons.push(
      `${best.variant} beats control on ${primary.name} (${primary.direction} is better; always-valid p = ${best.sequential!.minP.toExponential(2)} < ${alpha}, running minimum over ${state[lookKey(primary.name, best.variant)]?.looks ?? 1} looks)`,
    );
    return { ...base, decision: 'winner', winner: best.variant, reasons };
  }
  if (
    comparisons.length > 0 &&
    comparisons.length === variants.length - 1 &&
    comparisons.every(
      (c) => c.sequential?.significant && c.sequential.direction === -better && better * c.difference < 0,
    )
  ) {
    reasons.push(`control beats every variant on ${primary.name}`);
    return { ...base, decision: 'winner', winner: 'control', reasons };
  }
  reasons.push(`no variant differs from control at always-valid p < ${alpha} yet`);
  return { ...base, decision: 'no difference yet', winner: null, reasons };
}
