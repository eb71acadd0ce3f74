import { normalQuantile } from './distributions.ts';
import type { Summary } from './summary.ts';

export interface RatioResult {
  /** candidate mean / control mean. */
  ratio: number;
  ci: [number, number];
  method: 'delta' | 'fieller';
}

/**
 * Confidence interval of the ratio of two independent means (candidate / control) by the delta
 * method: Var(r) ≈ r² (s_t²/(n_t μ_t²) + s_c²/(n_c μ_c²)). Null when undefined (an arm with fewer
 * than two observations or a zero mean).
 */
export function ratioCiDelta(control: Summary, candidate: Summary, alpha = 0.05): RatioResult | null {
  if (control.n < 2 || candidate.n < 2 || control.mean === 0 || candidate.mean === 0) return null;
  const ratio = candidate.mean / control.mean;
  const relVar =
    candidate.variance / (candidate.n * candidate.mean * candidate.mean) +
    control.variance / (control.n * control.mean * control.mean);
  const se = Math.abs(ratio) * Math.sqrt(relVar);
  const z = normalQuantile(1 - alpha / 2);
  return { ratio, ci: [ratio - z * se, ratio + z * se], method: 'delta' };
}

/**
 * Fieller's interval for the ratio of two independent means (Fieller 1954), exact under normality
 * of the means. When the control mean is not significantly different from 0 (g ≥ 1) the set is
 * unbounded and null is returned.
 */
export function ratioCiFieller(control: Summary, candidate: Summary, alpha = 0.05): RatioResult | null {
  if (control.n < 2 || candidate.n < 2 || control.mean === 0) return null;
  const a = candidate.mean;
  const b = control.mean;
  const vA = candidate.variance / candidate.n;
  const vB = control.variance / control.n;
  const z = normalQuantile(1 - alpha / 2);
  const z2 = z * z;
  const g = (z2 * vB) / (b * b);
  if (g >= 1) return null;
  const ratio = a / b;
  const centre = ratio / (1 - g);
  // |b|, not b: with a negative control mean the half-width would flip sign and reverse the endpoints.
  const half = (z / (Math.abs(b) * (1 - g))) * Math.sqrt(vA + ratio * ratio * vB - g * vA);
  return { ratio, ci: [centre - half, centre + half], method: 'fieller' };
}
