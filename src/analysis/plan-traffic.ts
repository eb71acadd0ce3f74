import type { EventStore, EvidenceFilter } from '@switchyard/data';
import type { Experiment } from '../config/types.ts';
import { loadExperimentEvidence } from './evidence.ts';
import { DEFAULT_MDE } from './experiment.ts';
import { experimentMetrics } from './metric-definitions.ts';
import { planExperiment, type Plan } from './plan.ts';

export interface TrafficPlan extends Plan {
  experiment: string;
  metric: string;
  mde: number;
  baselineMean: number;
  /** Where the baseline came from. */
  baselineFrom: 'control evidence' | 'given';
  /** Enrolled units per day from recorded exposures (null without any). */
  unitsPerDay: number | null;
  /** Share of enrolled units in the smallest arm (it sets the pace). */
  smallestArmShare: number;
  /** Days until every arm has `sequentialPerArm` (and `fixedHorizonPerArm`) units, from day 0. */
  sequentialDays: number | null;
  fixedHorizonDays: number | null;
  /** Units exposed so far per the store. */
  unitsSoFar: number;
}

/**
 * Plans an experiment from recorded traffic: the baseline (mean and sd of the primary metric in
 * control, unless given) and the enrolment rate (distinct exposed units over the exposure span)
 * come from the store; the sample sizes from `planExperiment`. The rate assumes traffic stays as
 * it was; units that return count once.
 */
export async function planFromTraffic(
  store: EventStore,
  experiment: Experiment,
  options: {
    mde?: number;
    power?: number;
    alpha?: number;
    baseline?: number;
    sd?: number;
    filter?: EvidenceFilter;
  } = {},
): Promise<TrafficPlan> {
  const { primary } = experimentMetrics(experiment);
  const mde = options.mde ?? experiment.metrics.mde ?? DEFAULT_MDE;
  const [evidence, span] = await Promise.all([
    options.baseline === undefined
      ? loadExperimentEvidence(store.queries, experiment, options.filter)
      : Promise.resolve(null),
    store.queries.exposureSpan('experiment', experiment.experiment, options.filter),
  ]);
  const control = evidence?.variants.find((v) => v.variant === 'control');
  const baselineMean = options.baseline ?? control?.mean ?? Number.NaN;
  const sd = options.sd ?? (primary.kind === 'binary' ? undefined : control ? Math.sqrt(control.variance) : undefined);
  const plan = planExperiment({
    baselineMean,
    sd,
    mde,
    binary: primary.kind === 'binary',
    alpha: options.alpha,
    power: options.power,
  });
  const weights = Object.values(experiment.variants).map((v) => v.weight);
  const smallestArmShare = Math.min(...weights) / weights.reduce((a, b) => a + b, 0);
  const days =
    span.fromMs !== null && span.toMs !== null ? Math.max((span.toMs - span.fromMs) / 86_400_000, 1 / 24) : null;
  const unitsPerDay = days !== null && span.units > 0 ? span.units / days : null;
  const daysFor = (perArm: number) => (unitsPerDay ? perArm / (unitsPerDay * smallestArmShare) : null);
  return {
    ...plan,
    experiment: experiment.experiment,
    metric: primary.name,
    mde,
    baselineMean,
    baselineFrom: options.baseline === undefined ? 'control evidence' : 'given',
    unitsPerDay,
    smallestArmShare,
    sequentialDays: daysFor(plan.sequentialPerArm),
    fixedHorizonDays: daysFor(plan.fixedHorizonPerArm),
    unitsSoFar: span.units,
  };
}

/** Plain-text rendering of a plan. */
export function renderPlan(p: TrafficPlan): string {
  const d = (x: number | null) => (x === null ? 'unknown (no exposures recorded yet)' : `${x.toFixed(1)} days`);
  return [
    `plan for experiment ${p.experiment}: detect ${(p.mde * 100).toPrecision(3)}% on ${p.metric} (baseline ${p.baselineMean.toPrecision(4)} from ${p.baselineFrom}, sd ${p.sd.toPrecision(4)}; effect ${p.effect.toPrecision(4)})`,
    `  units per arm, always-valid decision rule (what switchyard uses): ${p.sequentialPerArm} (power ${(p.sequentialPower * 100).toFixed(1)}% at that size)`,
    `  units per arm, fixed-horizon test looked at once:                 ${p.fixedHorizonPerArm}`,
    `  traffic: ${p.unitsPerDay === null ? 'none recorded' : `${p.unitsPerDay.toFixed(0)} enrolled units/day`}, smallest arm ${(p.smallestArmShare * 100).toFixed(0)}%, ${p.unitsSoFar} units so far`,
    `  expected duration: ${d(p.sequentialDays)} (a fixed-horizon test: ${d(p.fixedHorizonDays)})`,
    `  mixing scale τ0 = ${p.tau.toPrecision(4)} (fixed at the first look from metrics.mde × the control mean)`,
    '',
  ].join('\n');
}
