import type { Experiment } from '../config/types.ts';
import { msprt, srmCheck, twoProportionZTest, welchTTest } from '../stats/index.ts';
import { checkGuardrail, type GuardrailOptions } from './guardrails.ts';
import type { Comparison, ExperimentAnalysis, SeriesEvidence, VariantEvidence } from './types.ts';

export interface ExperimentEvidence {
  /** Primary metric per variant. */
  variants: VariantEvidence[];
  /** Guardrail metric name → evidence per variant (only metrics that were recorded). */
  guardrails: Record<string, VariantEvidence[]>;
  series: SeriesEvidence | null;
}

export interface ExperimentAnalysisOptions extends GuardrailOptions {
  /** Significance level of the primary comparison. Default 0.05. */
  alpha?: number;
  /** mSPRT mixing scale in metric units (default: 10% of the control mean). */
  tau?: number;
}

function compare(control: VariantEvidence, variant: VariantEvidence, alpha: number, tau: number | undefined): Comparison | null {
  const useProportions = control.binary && variant.binary;
  const fixed = useProportions
    ? twoProportionZTest(Math.round(control.mean * control.n), control.n, Math.round(variant.mean * variant.n), variant.n, alpha)
    : welchTTest(control, variant, alpha);
  if (!fixed) return null;
  const seq = msprt(control, variant, alpha, tau);
  return {
    variant: variant.variant,
    test: useProportions ? 'two-proportion' : 'welch',
    difference: fixed.difference,
    relativeLift: control.mean !== 0 ? fixed.difference / Math.abs(control.mean) : null,
    ci: fixed.ci,
    pValue: fixed.pValue,
    sequential: seq ? { pValue: seq.pValue, ci: seq.ci, significant: seq.significant } : null,
    fixed,
  };
}

/**
 * Analyses an A/B experiment: per-variant evidence, each variant against control (Welch or
 * two-proportion for the fixed-horizon numbers, mSPRT for the decision), SRM against the configured
 * weights, minimum-sample gates, guardrails, and one decision. Pure.
 */
export function analyzeExperiment(experiment: Experiment, evidence: ExperimentEvidence, options: ExperimentAnalysisOptions = {}): ExperimentAnalysis {
  const alpha = options.alpha ?? 0.05;
  const names = Object.keys(experiment.variants).sort((a, b) => (a === 'control' ? -1 : b === 'control' ? 1 : a.localeCompare(b)));
  const byName = new Map(evidence.variants.map((v) => [v.variant, v]));
  const variants: VariantEvidence[] = names.map(
    (name) => byName.get(name) ?? { variant: name, exposed: 0, n: 0, mean: 0, variance: 0, binary: false },
  );
  const reasons: string[] = [];
  const srm = srmCheck(
    variants.map((v) => v.exposed),
    names.map((name) => experiment.variants[name]!.weight),
  );
  const control = variants.find((v) => v.variant === 'control');
  const comparisons: Comparison[] = [];
  const guardrails = [];
  if (control) {
    for (const variant of variants) {
      if (variant === control) continue;
      const c = compare(control, variant, alpha, options.tau);
      if (c) comparisons.push(c);
    }
    for (const [metric, list] of Object.entries(evidence.guardrails)) {
      const gControl = list.find((v) => v.variant === 'control');
      if (!gControl) continue;
      for (const v of list) if (v.variant !== 'control') guardrails.push(checkGuardrail(metric, gControl, v, options));
    }
  }

  const base = {
    kind: 'experiment' as const,
    id: experiment.experiment,
    metric: experiment.metrics.primary,
    alpha,
    minSamples: experiment.minSamples,
    variants,
    comparisons,
    srm,
    guardrails,
    series: evidence.series,
  };
  if (srm?.mismatch) {
    reasons.push(
      `sample ratio mismatch: units ${srm.observed.join(' / ')} vs expected ${srm.expected.map((e) => e.toFixed(0)).join(' / ')} (χ² = ${srm.chiSquare.toFixed(1)}, p = ${srm.pValue.toExponential(2)} < 0.001); assignment or logging is broken, results are not trustworthy`,
    );
    return { ...base, decision: 'blocked: SRM', winner: null, reasons };
  }
  const short = variants.filter((v) => v.n < experiment.minSamples);
  if (short.length > 0) {
    for (const v of short) reasons.push(`${v.variant} has ${v.n} of the ${experiment.minSamples} units with ${experiment.metrics.primary} required`);
    return { ...base, decision: 'no difference yet', winner: null, reasons };
  }
  const breached = new Set(guardrails.filter((g) => g.breached).map((g) => g.variant));
  for (const g of guardrails.filter((x) => x.breached)) {
    reasons.push(`${g.variant} breaches guardrail ${g.metric}: ${g.mean.toPrecision(4)} vs ${g.controlMean.toPrecision(4)} (p = ${g.pValue?.toExponential(2)})`);
  }
  const better = comparisons.filter((c) => c.sequential?.significant && c.difference > 0 && !breached.has(c.variant));
  if (better.length > 0) {
    const best = better.reduce((a, b) => (b.difference > a.difference ? b : a));
    reasons.push(`${best.variant} beats control on ${experiment.metrics.primary} (always-valid p = ${best.sequential!.pValue.toExponential(2)} < ${alpha})`);
    return { ...base, decision: 'winner', winner: best.variant, reasons };
  }
  if (comparisons.length > 0 && comparisons.every((c) => c.sequential?.significant && c.difference < 0)) {
    reasons.push(`control beats every variant on ${experiment.metrics.primary}`);
    return { ...base, decision: 'winner', winner: 'control', reasons };
  }
  reasons.push(`no variant differs from control at always-valid p < ${alpha} yet`);
  return { ...base, decision: 'no difference yet', winner: null, reasons };
}
