import type { Experiment } from '../config/types.ts';
import { srmCheck, srmSequential } from '../stats/index.ts';
import { dataProblems } from './data-checks.ts';
import { compareVariants, guardrailPairs } from './experiment-comparisons.ts';
import { decideExperiment, type ExperimentLook } from './experiment-decision.ts';
import { DEFAULT_MDE, MIN_SAMPLES_FLOOR, SRM_ALPHA } from './experiment-thresholds.ts';
import { checkGuardrails, type GuardrailOptions } from './guardrails.ts';
import { experimentMetrics, type ResolvedMetric } from './metric-definitions.ts';
import { foldLook, type SequentialStates } from './sequential-state.ts';
import type { ExperimentAnalysis, SeriesEvidence, SrmEvidence, VariantEvidence } from './types.ts';

export { DEFAULT_MDE, MIN_SAMPLES_FLOOR, SRM_ALPHA } from './experiment-thresholds.ts';

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

/** The SRM look: χ² for display, the sequential multinomial test's running minimum to decide. */
function srmLook(observed: number[], weights: number[], prev: SequentialStates[string] | undefined) {
  const chi = srmCheck(observed, weights, SRM_ALPHA);
  if (!chi) return { srm: null, state: undefined };
  const seq = srmSequential(observed, weights, SRM_ALPHA);
  const state = foldLook(prev, seq.pValue, 0, Number.NaN);
  const srm: SrmEvidence = { ...chi, sequentialP: seq.pValue, minP: state.minP, mismatch: state.minP < SRM_ALPHA };
  return { srm, state };
}

/** The experiment's variants, control first then by name; an arm without evidence counts as empty. */
function variantsInOrder(experiment: Experiment, evidence: ExperimentEvidence, primary: ResolvedMetric) {
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
  return { names, variants };
}

/** The mSPRT mixing scale: the relative MDE of the control mean (or of its sd when the mean is 0). */
function mixingScale(experiment: Experiment, control: VariantEvidence): number {
  return (
    (experiment.metrics.mde ?? DEFAULT_MDE) *
    (Math.abs(control.mean) > 0 ? Math.abs(control.mean) : Math.sqrt(control.variance))
  );
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
  const { names, variants } = variantsInOrder(experiment, evidence, primary);
  // Filled in look order: SRM, then each comparison, then the guardrails.
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
  const comparisons = control
    ? compareVariants(
        { control, variants, primary, alpha, prev, eligible, tau: mixingScale(experiment, control) },
        state,
      )
    : [];
  const guardrailInputs = control ? guardrailPairs(metrics.guardrails, evidence.guardrails) : [];
  const guardrailEligible =
    eligible && guardrailInputs.every((g) => g.control.n >= effectiveMinSamples && g.variant.n >= effectiveMinSamples);
  const g = checkGuardrails(guardrailInputs, prev, guardrailEligible, options);
  Object.assign(state, g.states);

  const look: ExperimentLook = {
    kind: 'experiment',
    id: experiment.experiment,
    metric: primary.name,
    metricDefinition: { kind: primary.kind, direction: primary.direction, declared: primary.declared },
    alpha,
    minSamples: experiment.minSamples,
    effectiveMinSamples,
    variants,
    comparisons,
    srm,
    guardrails: g.checks,
    problems,
    series: evidence.series,
    state,
  };
  return { ...look, ...decideExperiment(look, floor) };
}
