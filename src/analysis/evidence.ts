import type { CanaryResource, Experiment, ModelRolloutResource } from '../config/types.ts';
import type { EvidenceFilter, EvidenceQueries, Subject } from '@switchyard/data';
import type { CanaryEvidence } from './canary.ts';
import { CANARY_GUARDRAILS } from './canary.ts';
import type { ExperimentEvidence } from './experiment.ts';
import { cumulativeSeries } from './series.ts';
import type { ShadowEvidence } from './shadow.ts';
import type { VariantEvidence } from './types.ts';

/** Buckets on the time axis of the charts. */
export const SERIES_BUCKETS = 12;

async function variantEvidence(q: EvidenceQueries, subject: Subject, key: string, metric: string, filter: EvidenceFilter): Promise<VariantEvidence[]> {
  const [exposures, metrics] = await Promise.all([q.exposureUnits(subject, key, filter), q.metricByVariant(subject, key, metric, filter)]);
  const names = [...new Set([...exposures.map((e) => e.variant), ...metrics.map((m) => m.variant)])].sort();
  return names.map((variant) => {
    const m = metrics.find((x) => x.variant === variant);
    return {
      variant,
      exposed: exposures.find((e) => e.variant === variant)?.units ?? 0,
      n: m?.n ?? 0,
      mean: m?.mean ?? 0,
      variance: m?.variance ?? 0,
      binary: m?.binary ?? false,
    };
  });
}

async function guardrailEvidence(q: EvidenceQueries, subject: Subject, key: string, metrics: readonly string[], filter: EvidenceFilter) {
  const out: Record<string, VariantEvidence[]> = {};
  const all = await Promise.all(metrics.map((metric) => q.metricByVariant(subject, key, metric, filter)));
  metrics.forEach((metric, i) => {
    const rows = all[i]!;
    if (rows.length > 0) out[metric] = rows.map((r) => ({ ...r, exposed: 0 }));
  });
  return out;
}

/** Reads an experiment's evidence from the store. */
export async function loadExperimentEvidence(q: EvidenceQueries, experiment: Experiment, filter: EvidenceFilter = {}): Promise<ExperimentEvidence> {
  const key = experiment.experiment;
  const metric = experiment.metrics.primary;
  const [variants, guardrails, series] = await Promise.all([
    variantEvidence(q, 'experiment', key, metric, filter),
    guardrailEvidence(q, 'experiment', key, experiment.metrics.guardrails, filter),
    q.metricSeries('experiment', key, metric, SERIES_BUCKETS, filter),
  ]);
  return { variants, guardrails, series: cumulativeSeries(series) };
}

/** Reads a canary's evidence from the store. */
export async function loadCanaryEvidence(q: EvidenceQueries, canary: CanaryResource, filter: EvidenceFilter = {}): Promise<CanaryEvidence> {
  const key = canary.flag;
  const metric = canary.analysis.metric;
  const [variants, guardrails, series] = await Promise.all([
    variantEvidence(q, 'canary', key, metric, filter),
    guardrailEvidence(q, 'canary', key, CANARY_GUARDRAILS, filter),
    q.metricSeries('canary', key, metric, SERIES_BUCKETS, filter),
  ]);
  return { variants, guardrails, series: cumulativeSeries(series) };
}

/** Reads a model rollout's production shadow pairs from the store. */
export async function loadShadowEvidence(q: EvidenceQueries, rollout: ModelRolloutResource, filter: EvidenceFilter = {}): Promise<ShadowEvidence> {
  const [summary, histogram, worst] = await Promise.all([
    q.shadowSummary(rollout.flag, filter),
    q.shadowHistogram(rollout.flag, 10, filter),
    q.shadowWorst(rollout.flag, 5, filter),
  ]);
  return { summary, histogram, worst };
}
