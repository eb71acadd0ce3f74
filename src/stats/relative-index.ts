import { normalQuantile } from './distributions.ts';
import type { Summary } from './summary.ts';

/** Which way a metric improves. */
export type Direction = 'higher' | 'lower';

export interface RelativeIndexResult {
  /**
   * 1 + d·(candidate − control)/|control|, with d = +1 when higher is better and −1 when lower is:
   * 1 means no change, 0.95 means 5% worse, 1.05 means 5% better — whatever the metric's sign
   * or direction. For a positive higher-is-better metric it is the plain ratio candidate/control.
   */
  index: number;
  /** Delta-method interval of the index (ordered). */
  ci: [number, number];
}

/**
 * Direction-aware relative performance of a candidate against control (the canary's "ratio").
 * A plain ratio inverts for negative means (−1.2 / −1 = 1.2 although the candidate is worse) and
 * reads upside down for lower-is-better metrics; the index does neither. Null when the control
 * mean is 0 or an arm has fewer than two units: there is no relative scale, compare differences.
 */
export function relativeIndex(
  control: Summary,
  candidate: Summary,
  direction: Direction,
  alpha = 0.05,
): RelativeIndexResult | null {
  if (
    control.n < 2 ||
    candidate.n < 2 ||
    control.mean === 0 ||
    !Number.isFinite(control.mean) ||
    !Number.isFinite(candidate.mean)
  )
    return null;
  const sign = (direction === 'higher' ? 1 : -1) * Math.sign(control.mean);
  const q = candidate.mean / control.mean;
  // The delta method needs a non-zero candidate mean only for its relative-variance form; use the
  // equivalent absolute form so a candidate mean of 0 is still defined.
  const se =
    Math.sqrt(candidate.variance / candidate.n + q * q * (control.variance / control.n)) / Math.abs(control.mean);
  const z = normalQuantile(1 - alpha / 2);
  const map = (x: number) => 1 + sign * (x - 1);
  const a = map(q - z * se);
  const b = map(q + z * se);
  return { index: map(q), ci: [Math.min(a, b), Math.max(a, b)] };
}
