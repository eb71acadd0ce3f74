/** Pair scores and summary statistics for shadow evals. */
import { stem, tokenize } from './offline/text.ts';

export function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

/** Token F1 (SQuAD-style, over stemmed lower-case words): the lexical score beside cosine. */
export function tokenF1(a: string, b: string): number {
  const ta = tokenize(a).map(stem);
  const tb = tokenize(b).map(stem);
  if (ta.length === 0 && tb.length === 0) return 1;
  if (ta.length === 0 || tb.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const t of ta) counts.set(t, (counts.get(t) ?? 0) + 1);
  let common = 0;
  for (const t of tb) {
    const left = counts.get(t) ?? 0;
    if (left > 0) {
      common++;
      counts.set(t, left - 1);
    }
  }
  if (common === 0) return 0;
  const precision = common / tb.length;
  const recall = common / ta.length;
  return (2 * precision * recall) / (precision + recall);
}

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
