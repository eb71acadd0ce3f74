import type { MetricSeries } from '@switchyard/data';
import { normalQuantile } from '../stats/index.ts';
import type { SeriesEvidence } from './types.ts';

/**
 * Turns per-bucket unit sums into the cumulative unit-level mean per variant (what a reader wants
 * to see converge; after the last bucket it equals the table's mean) and a pointwise 95% band
 * mean ± 1.96·sd/√n. The band is fixed-horizon and pointwise, for reading the chart only:
 * decisions use the always-valid interval in the table.
 */
export function cumulativeSeries(series: MetricSeries | null): SeriesEvidence | null {
  if (!series) return null;
  const z = normalQuantile(0.975);
  const cumulative: Record<string, Array<number | null>> = {};
  const band: Record<string, Array<[number, number] | null>> = {};
  const variants = [...new Set(series.points.map((p) => p.variant))].sort();
  for (const variant of variants) {
    const sums = new Array<number>(series.buckets).fill(0);
    const squares = new Array<number>(series.buckets).fill(0);
    const counts = new Array<number>(series.buckets).fill(0);
    for (const p of series.points) {
      if (p.variant !== variant || p.bucket < 1 || p.bucket > series.buckets) continue;
      sums[p.bucket - 1]! += p.sum;
      squares[p.bucket - 1]! += p.sumSquares ?? 0;
      counts[p.bucket - 1]! += p.n;
    }
    let n = 0;
    let sum = 0;
    let sq = 0;
    const means: Array<number | null> = [];
    const bands: Array<[number, number] | null> = [];
    for (let i = 0; i < series.buckets; i++) {
      n += counts[i]!;
      sum += sums[i]!;
      sq += squares[i]!;
      const mean = n > 0 ? sum / n : null;
      means.push(mean);
      if (mean === null || n < 2) bands.push(null);
      else {
        const half = z * Math.sqrt(Math.max(0, (sq - n * mean * mean) / (n - 1)) / n);
        bands.push([mean - half, mean + half]);
      }
    }
    cumulative[variant] = means;
    band[variant] = bands;
  }
  return { fromMs: series.fromMs, toMs: series.toMs, buckets: series.buckets, cumulative, band };
}
