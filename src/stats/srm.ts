import { chiSquareSf } from './distributions.ts';

/** p below which a sample-ratio mismatch blocks any decision (the industry convention). */
export const SRM_THRESHOLD = 0.001;

export interface SrmResult {
  observed: number[];
  expected: number[];
  chiSquare: number;
  df: number;
  pValue: number;
  /** True when pValue < threshold: the assignment is broken and the results must not be trusted. */
  mismatch: boolean;
}

/**
 * Sample-ratio-mismatch check: Pearson's chi-square goodness of fit of the observed unit counts
 * per variant against the configured weights. Returns null with no units or no positive weight.
 */
export function srmCheck(observed: number[], weights: number[], threshold = SRM_THRESHOLD): SrmResult | null {
  if (observed.length !== weights.length || observed.length < 2) return null;
  const total = observed.reduce((a, b) => a + b, 0);
  const weightSum = weights.reduce((a, b) => a + b, 0);
  if (total <= 0 || !(weightSum > 0)) return null;
  const expected = weights.map((w) => (total * w) / weightSum);
  let chiSquare = 0;
  let df = -1;
  for (let i = 0; i < observed.length; i++) {
    const e = expected[i]!;
    if (e <= 0) continue;
    chiSquare += (observed[i]! - e) ** 2 / e;
    df += 1;
  }
  if (df < 1) return null;
  const pValue = chiSquareSf(chiSquare, df);
  return { observed, expected, chiSquare, df, pValue, mismatch: pValue < threshold };
}
