import type { SeriesEvidence } from './types.ts';

/**
 * Mermaid charts GitHub renders in Markdown (```mermaid blocks, `xychart-beta`). xychart has no
 * legend, so the caller prints one under the chart; series are listed in a fixed (sorted) order.
 */

const fmt = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(1) : x.toPrecision(4));
const quote = (s: string) => `"${s.replace(/"/g, "'")}"`;

function timeLabel(ms: number, spanMs: number): string {
  const iso = new Date(ms).toISOString();
  // Show the day when the series spans days, the time of day otherwise.
  return spanMs >= 2 * 86_400_000 ? iso.slice(5, 10) : iso.slice(11, 16);
}

/** A line per variant: the cumulative mean of the metric after each time bucket. */
export function metricLineChart(title: string, series: SeriesEvidence): { mermaid: string; legend: string[] } | null {
  const variants = Object.keys(series.cumulative).sort();
  if (variants.length === 0) return null;
  const width = (series.toMs + 1 - series.fromMs) / series.buckets;
  const labels = Array.from({ length: series.buckets }, (_, i) => quote(timeLabel(series.fromMs + (i + 1) * width, series.toMs - series.fromMs)));
  const all = variants.flatMap((v) => series.cumulative[v]!.filter((x): x is number => x !== null));
  if (all.length === 0) return null;
  let lo = Math.min(...all);
  let hi = Math.max(...all);
  const pad = (hi - lo) * 0.1 || Math.abs(hi) * 0.05 || 1;
  lo -= pad;
  hi += pad;
  const lines = variants.map((v) => {
    // xychart needs a number per label: carry the first known value back over empty leading buckets.
    const values = series.cumulative[v]!;
    const first = values.find((x) => x !== null) ?? 0;
    let last = first;
    return `  line [${values.map((x) => fmt((last = x ?? last))).join(', ')}]`;
  });
  const mermaid = [
    'xychart-beta',
    `  title ${quote(title)}`,
    `  x-axis [${labels.join(', ')}]`,
    `  y-axis ${quote('cumulative mean')} ${fmt(lo)} --> ${fmt(hi)}`,
    ...lines,
  ].join('\n');
  return { mermaid, legend: variants.map((v, i) => `line ${i + 1}: ${v}`) };
}

/** Bar chart of the similarity distribution (10 bins over [0, 1]). */
export function similarityHistogram(title: string, counts: number[]): string {
  const bins = counts.length;
  const labels = counts.map((_, i) => quote(`${(i / bins).toFixed(1)}–${((i + 1) / bins).toFixed(1)}`));
  const max = Math.max(1, ...counts);
  return ['xychart-beta', `  title ${quote(title)}`, `  x-axis [${labels.join(', ')}]`, `  y-axis ${quote('pairs')} 0 --> ${max}`, `  bar [${counts.join(', ')}]`].join('\n');
}
