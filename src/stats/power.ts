import { normalCdf, normalQuantile } from './distributions.ts';

/**
 * Power of a two-sided two-sample z/Welch test to detect a true difference `delta` with standard
 * deviations `sdControl`, `sdTreatment` and `n` units per arm (normal approximation).
 */
export function twoSamplePower(
  delta: number,
  sdControl: number,
  sdTreatment: number,
  nControl: number,
  nTreatment: number,
  alpha = 0.05,
): number {
  const se = Math.sqrt((sdControl * sdControl) / nControl + (sdTreatment * sdTreatment) / nTreatment);
  const z = normalQuantile(1 - alpha / 2);
  const shift = Math.abs(delta) / se;
  return normalCdf(shift - z) + normalCdf(-shift - z);
}

/** Units per arm for a two-sided test to reach `power` against `delta` with common sd (normal approximation). */
export function samplesPerArm(delta: number, sd: number, power = 0.8, alpha = 0.05): number {
  const z = normalQuantile(1 - alpha / 2) + normalQuantile(power);
  return Math.ceil((2 * sd * sd * z * z) / (delta * delta));
}
