import type { MetricSeries } from '@switchyard/data';
import type { SeriesEvidence } from './types.ts';

/** Turns per-bucket sums into a cumulative mean per variant (what a reader wants to see converge). */
export function cumulativeSeries(series: MetricSeries | null): SeriesEvidence | null {
  if (!series) return null;
  const cumulative: Record<string, Array<number | null>> = {};
  const variants = [...new Set(series.points.map((p) => p.variant))].sort();
  for (const variant of variants) {
    const sums = new Array<number>(series.buckets).fill(0);
    const counts = new Array<number>(series.buckets).fill(0);
    for (const p of series.points) {
      if (p.variant !== variant || p.bucket < 1 || p.bucket > series.buckets) continue;
      sums[p.bucket - 1]! += p.sum;
      counts[p.bucket - 1]! += p.n;
    }
    let n = 0;
    let sum = 0;
    cumulative[variant] = sums.map((s, i) => {
      n += counts[i]!;
      sum += s;
      return n > 0 ? sum / n : null;
    });
  }
  return { fromMs: series.fromMs, toMs: series.toMs, buckets: series.buckets, cumulative };
}
