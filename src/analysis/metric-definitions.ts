import type { CanaryResource, Experiment, MetricDefinition } from '../config/types.ts';

/** What a metric is taken to be when its resource does not declare it (documented in docs/evidence.md). */
export const DEFAULT_PRIMARY: MetricDefinition = { kind: 'continuous', direction: 'higher' };
export const DEFAULT_GUARDRAIL: MetricDefinition = { kind: 'continuous', direction: 'lower' };

/** A metric with how it is analysed and whether that was declared or defaulted (reports say which). */
export interface ResolvedMetric extends MetricDefinition {
  name: string;
  declared: boolean;
}

/** The primary metric and guardrails of an experiment with their declared (or default) kind and direction. */
export function experimentMetrics(experiment: Experiment): { primary: ResolvedMetric; guardrails: ResolvedMetric[] } {
  const defs = experiment.metrics.definitions ?? {};
  const resolve = (name: string, fallback: MetricDefinition): ResolvedMetric => {
    const d = defs[name];
    return d ? { name, ...d, declared: true } : { name, ...fallback, declared: false };
  };
  return {
    primary: resolve(experiment.metrics.primary, DEFAULT_PRIMARY),
    guardrails: experiment.metrics.guardrails.map((g) => resolve(g, DEFAULT_GUARDRAIL)),
  };
}

/** A canary's metric with its declared (or default) kind and direction. */
export function canaryMetric(canary: CanaryResource): ResolvedMetric {
  const { metric, kind, direction } = canary.analysis;
  return {
    name: metric,
    kind: kind ?? DEFAULT_PRIMARY.kind,
    direction: direction ?? DEFAULT_PRIMARY.direction,
    declared: kind !== undefined && direction !== undefined,
  };
}
