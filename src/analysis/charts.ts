import type { SeriesEvidence } from './types.ts';

/**
 * Mermaid charts GitHub renders in Markdown (```mermaid blocks, `xychart-beta`). xychart has no
 * legend, so the caller prints one under the chart; series are listed in a fixed (sorted) order
 * and coloured from a fixed palette (dark: the mean, light: its band), which the legend names.
 */

const fmt = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(1) : x.toPrecision(4));
const quote = (s: string) => `"${s.replace(/"/g, "'")}"`;

/** Dark (mean) and light (band) colour per variant; the legend names them. */
const PALETTE: ReadonlyArray<readonly [string, string, string]> = [
  ['#1f77b4', '#aec7e8', 'blue'],
  ['#ff7f0e', '#ffbb78', 'orange'],
  ['#2ca02c', '#98df8a', 'green'],
  ['#d62728', '#ff9896', 'red'],
  ['#9467bd', '#c5b0d5', 'purple'],
];

/** Label formats from coarse to fine; `sameDay` ones are used only when the series is within one day. */
const FORMATS: ReadonlyArray<{ sameDay: boolean; format: (iso: string) => string }> = [
  { sameDay: false, format: (iso) => iso.slice(5, 10) }, // MM-DD
  { sameDay: true, format: (iso) => iso.slice(11, 16) }, // HH:mm
  { sameDay: false, format: (iso) => `${iso.slice(5, 10)} ${iso.slice(11, 16)}` },
  { sameDay: true, format: (iso) => iso.slice(11, 19) }, // HH:mm:ss
  { sameDay: false, format: (iso) => `${iso.slice(5, 10)} ${iso.slice(11, 19)}` },
  { sameDay: true, format: (iso) => iso.slice(11, 23) }, // HH:mm:ss.SSS
  { sameDay: false, format: (iso) => iso.slice(0, 23) },
];

/**
 * Labels for the bucket ends: the shortest format (day, time of day, both, with seconds, with
 * milliseconds) that keeps every label distinct — the axis is monotone by construction, and a
 * repeated label would make a reader think two points are the same time. Formats without the day
 * are used only within one day. Falls back to numbering.
 */
export function timeLabels(fromMs: number, toMs: number, buckets: number): string[] {
  const width = (toMs + 1 - fromMs) / buckets;
  const isos = Array.from({ length: buckets }, (_, i) => new Date(Math.round(fromMs + (i + 1) * width)).toISOString());
  const sameDay = isos[0]!.slice(0, 10) === isos[isos.length - 1]!.slice(0, 10);
  for (const { sameDay: needsSameDay, format } of FORMATS) {
    if (needsSameDay && !sameDay) continue;
    const labels = isos.map(format);
    if (new Set(labels).size === labels.length) return labels;
  }
  return isos.map((_, i) => `t${i + 1}`);
}

/** A line per variant: the cumulative unit-level mean after each time bucket, with its 95% band when known. */
export function metricLineChart(title: string, series: SeriesEvidence): { mermaid: string; legend: string[] } | null {
  const variants = Object.keys(series.cumulative).sort();
  if (variants.length === 0) return null;
  const labels = timeLabels(series.fromMs, series.toMs, series.buckets).map(quote);
  const bandOf = (v: string) => series.band?.[v] ?? [];
  const all = variants.flatMap((v) => [
    ...series.cumulative[v]!.filter((x): x is number => x !== null),
    ...bandOf(v).flatMap((b) => (b ? b : [])),
  ]);
  if (all.length === 0) return null;
  let lo = Math.min(...all);
  let hi = Math.max(...all);
  const pad = (hi - lo) * 0.1 || Math.abs(hi) * 0.05 || 1;
  lo -= pad;
  hi += pad;
  // xychart needs a number per label: carry the first known value back over empty leading buckets.
  const carry = (values: Array<number | null>) => {
    let last = values.find((x) => x !== null) ?? 0;
    return `[${values.map((x) => fmt((last = x ?? last))).join(', ')}]`;
  };
  const lines: string[] = [];
  const colours: string[] = [];
  const legend: string[] = [];
  variants.forEach((v, i) => {
    const [dark, light, name] = PALETTE[i % PALETTE.length]!;
    lines.push(`  line ${carry(series.cumulative[v]!)}`);
    colours.push(dark);
    const band = bandOf(v);
    if (band.some((b) => b !== null)) {
      lines.push(
        `  line ${carry(band.map((b) => b?.[0] ?? null))}`,
        `  line ${carry(band.map((b) => b?.[1] ?? null))}`,
      );
      colours.push(light, light);
      legend.push(`${name}: ${v} (light ${name}: 95% band)`);
    } else legend.push(`${name}: ${v}`);
  });
  const mermaid = [
    `%%{init: {"themeVariables": {"xyChart": {"plotColorPalette": "${colours.join(', ')}"}}}}%%`,
    'xychart-beta',
    `  title ${quote(title)}`,
    `  x-axis [${labels.join(', ')}]`,
    `  y-axis ${quote('cumulative unit mean')} ${fmt(lo)} --> ${fmt(hi)}`,
    ...lines,
  ].join('\n');
  return { mermaid, legend };
}

/** Bar chart of the similarity distribution (10 bins over [0, 1]). */
export function similarityHistogram(title: string, counts: number[]): string {
  const bins = counts.length;
  const labels = counts.map((_, i) => quote(`${(i / bins).toFixed(1)}–${((i + 1) / bins).toFixed(1)}`));
  const max = Math.max(1, ...counts);
  return [
    'xychart-beta',
    `  title ${quote(title)}`,
    `  x-axis [${labels.join(', ')}]`,
    `  y-axis ${quote('pairs')} 0 --> ${max}`,
    `  bar [${counts.join(', ')}]`,
  ].join('\n');
}
