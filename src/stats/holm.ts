/**
 * Holm's step-down adjusted p-values (Holm 1979): controls the family-wise error rate across
 * several tests (e.g. every guardrail × variant) under any dependence. Reject test i at level α
 * when its adjusted p-value is < α. Same order as the input.
 */
export function holm(pValues: readonly number[]): number[] {
  const m = pValues.length;
  const order = pValues.map((p, i) => ({ p, i })).sort((a, b) => a.p - b.p);
  const out = new Array<number>(m);
  let running = 0;
  order.forEach(({ p, i }, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * p));
    out[i] = running;
  });
  return out;
}
