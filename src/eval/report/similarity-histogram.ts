/**
 * The shadow-similarity histogram of the PR report: how a comparison's pair similarities spread over
 * [0, 1]. The gate only sees the average and the minimum; the histogram shows whether a failing minimum
 * is one outlier or a shifted distribution (docs/evaluation.md, "The PR comment").
 */

/** Bins over [0, 1]; counts only — values that are not similarities are counted apart. */
export interface SimilarityHistogram {
  /** Pairs per bin: bin `i` holds `[i/n, (i+1)/n)`, the last bin also holds 1 (n = `counts.length`). */
  counts: number[];
  /** Scores that are not a number in [0, 1] (NaN, ±∞, negative cosine, > 1): never binned. */
  outOfRange: number;
}

export const DEFAULT_BINS = 10;

/** Bins `values` into `bins` equal bins over [0, 1]; invalid scores go to `outOfRange`. */
export function similarityHistogram(values: readonly number[], bins = DEFAULT_BINS): SimilarityHistogram {
  if (!Number.isInteger(bins) || bins < 1) throw new RangeError(`bins must be a positive integer, got ${bins}`);
  const counts = new Array<number>(bins).fill(0);
  let outOfRange = 0;
  for (const v of values) {
    // `v >= 0 && v <= 1` is false for NaN too, so a NaN can never reach a bin index.
    if (!(v >= 0 && v <= 1)) {
      outOfRange++;
      continue;
    }
    // 1.0 would index past the end: it belongs to the last, closed bin.
    const i = Math.min(bins - 1, Math.floor(v * bins));
    counts[i] = (counts[i] ?? 0) + 1;
  }
  return { counts, outOfRange };
}

/** `[lo, hi)` edges of bin `i` of `n` (the last is closed at 1), as printed in the report. */
export function binEdges(i: number, n: number): { lo: number; hi: number; closed: boolean } {
  return { lo: i / n, hi: (i + 1) / n, closed: i === n - 1 };
}

const BARS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'] as const;

/**
 * One character per bin, height relative to the fullest bin. An empty bin is `·` and any non-empty bin
 * at least `▁`, so a single outlier stays visible next to a bin of thousands.
 */
export function sparkline(counts: readonly number[]): string {
  const max = Math.max(0, ...counts);
  return counts
    .map((c) => (c <= 0 || max === 0 ? '·' : BARS[Math.max(0, Math.ceil((c / max) * BARS.length) - 1)]))
    .join('');
}

const edge = (x: number) => x.toFixed(2).replace(/0$/, '');
const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/**
 * Markdown for one comparison: a sparkline line with the scored, failed and out-of-range counts, and
 * (when `table`) the bin edges and counts in a collapsed table. `title` must already be escaped.
 * `failed` is undefined when the shadow result did not count failed calls.
 */
export function histogramMarkdown(
  title: string,
  h: SimilarityHistogram,
  failed: number | undefined,
  table: boolean,
): string[] {
  const scored = h.counts.reduce((a, b) => a + b, 0);
  const extra = [
    ...(failed === undefined ? [] : [plural(failed, 'failed call', 'failed calls')]),
    `${h.outOfRange} out of range`,
  ].join(' · ');
  if (scored === 0) return [`- ${title}: no pair scored · ${extra}`];
  const n = h.counts.length;
  const out = [
    `- ${title}: cosine \`${sparkline(h.counts)}\` over [0, 1] · ${plural(scored, 'pair', 'pairs')} · ${extra}`,
  ];
  if (!table) return out;
  out.push('', `<details><summary>Similarity histogram: ${title}</summary>`, '', '| cosine | pairs |', '|---|---|');
  h.counts.forEach((count, i) => {
    const { lo, hi, closed } = binEdges(i, n);
    out.push(`| [${edge(lo)}, ${edge(hi)}${closed ? ']' : ')'} | ${count} |`);
  });
  out.push('', '</details>');
  return out;
}
