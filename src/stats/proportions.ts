import { normalQuantile, normalTwoSidedP } from './distributions.ts';

export interface ProportionTestResult {
  controlRate: number;
  treatmentRate: number;
  /** treatmentRate − controlRate. */
  difference: number;
  /** z with the pooled standard error (the test). */
  z: number;
  pValue: number;
  /** Wald interval of the difference with the unpooled standard error. */
  ci: [number, number];
}

/**
 * Two-proportion z-test (no continuity correction; z² equals Pearson's chi-square on the 2×2 table).
 * Returns null when undefined (an empty arm, or both rates 0 or both 1).
 */
export function twoProportionZTest(
  controlSuccesses: number,
  controlN: number,
  treatmentSuccesses: number,
  treatmentN: number,
  alpha = 0.05,
): ProportionTestResult | null {
  if (controlN <= 0 || treatmentN <= 0) return null;
  const p1 = controlSuccesses / controlN;
  const p2 = treatmentSuccesses / treatmentN;
  const pooled = (controlSuccesses + treatmentSuccesses) / (controlN + treatmentN);
  const sePooled = Math.sqrt(pooled * (1 - pooled) * (1 / controlN + 1 / treatmentN));
  if (!(sePooled > 0)) return null;
  const difference = p2 - p1;
  const z = difference / sePooled;
  const se = Math.sqrt((p1 * (1 - p1)) / controlN + (p2 * (1 - p2)) / treatmentN);
  const q = normalQuantile(1 - alpha / 2);
  return {
    controlRate: p1,
    treatmentRate: p2,
    difference,
    z,
    pValue: normalTwoSidedP(z),
    ci: [difference - q * se, difference + q * se],
  };
}
