/**
 * Quantile of sorted values with linear interpolation between closest ranks — the same definition
 * as PostgreSQL's `percentile_cont` and R's type 7, so the store's SQL and in-memory analysis agree.
 */
export function quantile(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}
