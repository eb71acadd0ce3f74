/** Pair scores and summary statistics for shadow evals. */
// One scoring for CI and production: the chat service scores its shadow pairs with the same functions.
export { cosine, tokenF1 } from '@switchyard/data';

export interface Summary {
  avg: number;
  min: number;
  /** 10th percentile, nearest-rank. */
  p10: number;
}

export function summarise(values: readonly number[]): Summary {
  if (values.length === 0) return { avg: 0, min: 0, p10: 0 };
  const sorted = [...values].sort((x, y) => x - y);
  const avg = sorted.reduce((s, v) => s + v, 0) / sorted.length;
  const p10 = sorted[Math.max(0, Math.ceil(0.1 * sorted.length) - 1)] ?? 0;
  return { avg, min: sorted[0] ?? 0, p10 };
}
