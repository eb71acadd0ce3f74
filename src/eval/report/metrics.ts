/** Token, latency and cost figures of a set of case results, for the report (pure). */
import type { CaseResult } from '../results.ts';
import type { ReportMetrics } from './model.ts';

/** Nearest-rank percentile of sorted values (`p` in 0..100); null for an empty list. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1] ?? null;
}

const mean = (xs: readonly number[]): number | null =>
  xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length;

/** Figures over the cases that have them (cached cases keep the figures of the call that made them). */
export function metricsOf(cases: readonly CaseResult[]): ReportMetrics {
  const tokens = cases.flatMap((c) => (c.tokens ? [c.tokens.total] : []));
  const latencies = cases.flatMap((c) => (typeof c.latencyMs === 'number' ? [c.latencyMs] : [])).sort((a, b) => a - b);
  const costs = cases.flatMap((c) => (typeof c.cost === 'number' ? [c.cost] : []));
  const cost = mean(costs);
  const tokenMean = mean(tokens);
  return {
    tokens: tokenMean === null ? null : Math.round(tokenMean),
    latencyP50: percentile(latencies, 50),
    latencyP95: percentile(latencies, 95),
    // Only when every case has a price: a partial mean would understate the cost.
    costPer1k: cost === null || costs.length !== cases.length ? null : Math.round(cost * 1000 * 1e6) / 1e6,
  };
}
