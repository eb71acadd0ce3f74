import { studentTQuantile, studentTTwoSidedP } from './distributions.ts';
import type { Summary } from './summary.ts';

export interface WelchResult {
  /** Difference of means, treatment − control. */
  difference: number;
  standardError: number;
  /** Welch–Satterthwaite degrees of freedom. */
  df: number;
  t: number;
  pValue: number;
  /** Confidence interval of the difference at `1 − alpha`. */
  ci: [number, number];
}

/**
 * Welch's unequal-variance t-test of `treatment − control`. Returns null when it is undefined
 * (fewer than two observations in an arm, or no variance in either).
 */
export function welchTTest(control: Summary, treatment: Summary, alpha = 0.05): WelchResult | null {
  if (control.n < 2 || treatment.n < 2) return null;
  const vc = control.variance / control.n;
  const vt = treatment.variance / treatment.n;
  const se2 = vc + vt;
  if (!(se2 > 0)) return null;
  const se = Math.sqrt(se2);
  const df = (se2 * se2) / ((vc * vc) / (control.n - 1) + (vt * vt) / (treatment.n - 1));
  const difference = treatment.mean - control.mean;
  const t = difference / se;
  const q = studentTQuantile(1 - alpha / 2, df);
  return {
    difference,
    standardError: se,
    df,
    t,
    pValue: studentTTwoSidedP(t, df),
    ci: [difference - q * se, difference + q * se],
  };
}
