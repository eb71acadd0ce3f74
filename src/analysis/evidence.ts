import type { CanaryResource, Experiment, ModelRolloutResource } from '../config/types.ts';
import type { EvidenceFilter, EvidenceQueries, Subject, VariantMetric } from '@switchyard/data';
import type { CanaryEvidence } from './canary.ts';
import { CANARY_GUARDRAILS } from './canary.ts';
import type { ExperimentEvidence } from './experiment.ts';
import { canaryMetric, experimentMetrics, type ResolvedMetric } from './metric-definitions.ts';
import { cumulativeSeries } from './series.ts';
import type { ShadowEvidence } from './shadow.ts';
import type { VariantEvidence } from './types.ts';

/** Buckets on the time axis of the charts. */
export const SERIES_BUCKETS = 12;

/**
 * One arm's evidence for a metric of a given kind (pure):
 * - continuous: the units that reported, each contributing the mean of its values;
 * - binary: every exposed unit, 1 when it converted (largest value > 0) — units that never report
 *   are 0, so the denominator is exposed units; values other than 0/1 make the evidence invalid;
 * - ratio: Σvalues / Σobservations over reporting units, its variance by the delta method on the
 *   units' (sum, count) pairs (units are the independent observations, not events).
 */
export function variantSummary(
  variant: string,
  kind: ResolvedMetric['kind'],
  exposed: number,
  row: VariantMetric | undefined,
): VariantEvidence {
  const reporting = row?.n ?? 0;
  if (kind === 'binary') {
    const n = exposed;
    const p = n > 0 ? Math.min(row?.converted ?? 0, n) / n : 0;
    const invalid =
      row && !row.zeroOne
        ? 'a binary metric has values other than 0 and 1 (declare it continuous, or record 1 on conversion)'
        : undefined;
    return {
      variant,
      exposed,
      n,
      mean: p,
      variance: n > 1 ? (n * p * (1 - p)) / (n - 1) : 0,
      binary: true,
      reporting,
      ...(invalid ? { invalid } : {}),
    };
  }
  if (kind === 'ratio') {
    if (!row || row.n === 0 || !(row.sumC > 0))
      return { variant, exposed, n: reporting, mean: 0, variance: 0, binary: false, reporting };
    const n = row.n;
    const r = row.sumS / row.sumC;
    const cBar = row.sumC / n;
    // Σ(s − r·c)² over units, divided by (n − 1) and c̄²: n·Var(r̂) by the delta method.
    const linear = Math.max(0, row.sumSS - 2 * r * row.sumSC + r * r * row.sumCC);
    const variance = n > 1 ? linear / (n - 1) / (cBar * cBar) : 0;
    return { variant, exposed, n, mean: r, variance, binary: false, reporting };
  }
  return {
    variant,
    exposed,
    n: reporting,
    mean: row?.mean ?? 0,
    variance: row?.variance ?? 0,
    binary: false,
    reporting,
  };
}

async function variantEvidence(
  q: EvidenceQueries,
  subject: Subject,
  key: string,
  metric: ResolvedMetric,
  filter: EvidenceFilter,
): Promise<VariantEvidence[]> {
  const [exposures, metrics] = await Promise.all([
    q.exposureUnits(subject, key, filter),
    q.metricByVariant(subject, key, metric.name, filter),
  ]);
  const names = [...new Set([...exposures.map((e) => e.variant), ...metrics.map((m) => m.variant)])].sort();
  return names.map((variant) =>
    variantSummary(
      variant,
      metric.kind,
      exposures.find((e) => e.variant === variant)?.units ?? 0,
      metrics.find((x) => x.variant === variant),
    ),
  );
}

async function guardrailEvidence(
  q: EvidenceQueries,
  subject: Subject,
  key: string,
  metrics: readonly ResolvedMetric[],
  filter: EvidenceFilter,
) {
  const out: Record<string, VariantEvidence[]> = {};
  const all = await Promise.all(metrics.map((metric) => variantEvidence(q, subject, key, metric, filter)));
  metrics.forEach((metric, i) => {
    const rows = all[i]!.filter((r) => (r.reporting ?? 0) > 0 || metric.kind === 'binary');
    if (rows.some((r) => (r.reporting ?? 0) > 0)) out[metric.name] = rows;
  });
  return out;
}

/** Reads an experiment's evidence from the store. */
export async function loadExperimentEvidence(
  q: EvidenceQueries,
  experiment: Experiment,
  filter: EvidenceFilter = {},
): Promise<ExperimentEvidence> {
  const key = experiment.experiment;
  const { primary, guardrails: declared } = experimentMetrics(experiment);
  const [variants, guardrails, series] = await Promise.all([
    variantEvidence(q, 'experiment', key, primary, filter),
    guardrailEvidence(q, 'experiment', key, declared, filter),
    q.metricSeries('experiment', key, primary.name, SERIES_BUCKETS, filter, { binary: primary.kind === 'binary' }),
  ]);
  return { variants, guardrails, series: primary.kind === 'ratio' ? null : cumulativeSeries(series) };
}

/** Reads a canary's evidence from the store. */
export async function loadCanaryEvidence(
  q: EvidenceQueries,
  canary: CanaryResource,
  filter: EvidenceFilter = {},
): Promise<CanaryEvidence> {
  const key = canary.flag;
  const metric = canaryMetric(canary);
  const guardrailMetrics = CANARY_GUARDRAILS.map((name): ResolvedMetric => ({
    name,
    kind: 'continuous',
    direction: 'lower',
    declared: false,
  }));
  const [variants, guardrails, series] = await Promise.all([
    variantEvidence(q, 'canary', key, metric, filter),
    guardrailEvidence(q, 'canary', key, guardrailMetrics, filter),
    q.metricSeries('canary', key, metric.name, SERIES_BUCKETS, filter, { binary: metric.kind === 'binary' }),
  ]);
  return { variants, guardrails, series: metric.kind === 'ratio' ? null : cumulativeSeries(series) };
}

/** Reads a model rollout's production shadow pairs from the store. */
export async function loadShadowEvidence(
  q: EvidenceQueries,
  rollout: ModelRolloutResource,
  filter: EvidenceFilter = {},
): Promise<ShadowEvidence> {
  const [summary, histogram, worst] = await Promise.all([
    q.shadowSummary(rollout.flag, filter, { lowAt: rollout.shadow.gate.minMinSimilarity }),
    q.shadowHistogram(rollout.flag, 10, filter),
    q.shadowWorst(rollout.flag, 5, filter),
  ]);
  return { summary, histogram, worst };
}
