import { betaI, gammaQ } from './special.ts';

/**
 * Distribution functions used by the tests. Tails are computed directly (not as 1 − cdf) so that
 * p-values like 1e-20 for a gross sample-ratio mismatch stay meaningful.
 */

/** Upper tail of the standard normal: P(Z > z). */
export function normalSf(z: number): number {
  if (Number.isNaN(z)) return Number.NaN;
  // Φ(−|z|) = ½·erfc(|z|/√2) = ½·Q(½, z²/2)
  const tail = 0.5 * gammaQ(0.5, (z * z) / 2);
  return z >= 0 ? tail : 1 - tail;
}

/** Standard normal cdf Φ(z). */
export function normalCdf(z: number): number {
  return normalSf(-z);
}

/** Two-sided p-value of a z statistic. */
export function normalTwoSidedP(z: number): number {
  return Math.min(1, 2 * normalSf(Math.abs(z)));
}

/** Inverse of Φ by Newton's method on the accurate cdf (not on a hot path). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) return p === 0 ? -Infinity : p === 1 ? Infinity : Number.NaN;
  // Start from Abramowitz & Stegun 26.2.23 (|error| < 4.5e-4), then Newton steps on the exact cdf.
  const q = Math.min(p, 1 - p);
  const t = Math.sqrt(-2 * Math.log(q));
  const x =
    t - (2.515517 + 0.802853 * t + 0.010328 * t * t) / (1 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t * t * t);
  let z = p < 0.5 ? -x : x;
  for (let i = 0; i < 50; i++) {
    const err = normalCdf(z) - p;
    const density = Math.exp(-(z * z) / 2) / Math.sqrt(2 * Math.PI);
    const step = err / density;
    z -= step;
    if (Math.abs(step) < 1e-14 * Math.max(1, Math.abs(z))) break;
  }
  return z;
}

/** Two-sided p-value of a Student t statistic with `df` degrees of freedom (df may be fractional). */
export function studentTTwoSidedP(t: number, df: number): number {
  if (!Number.isFinite(df) || df <= 0) return Number.NaN;
  return betaI(df / (df + t * t), df / 2, 0.5);
}

/** Student t cdf. */
export function studentTCdf(t: number, df: number): number {
  const half = studentTTwoSidedP(t, df) / 2;
  return t >= 0 ? 1 - half : half;
}

/** Student t quantile by bisection on the cdf. */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) return Number.NaN;
  if (p === 0.5) return 0;
  let lo = -1;
  let hi = 1;
  while (studentTCdf(lo, df) > p) lo *= 2;
  while (studentTCdf(hi, df) < p) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-13 * Math.max(1, Math.abs(lo)); i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Upper tail of the chi-square distribution: P(X > x). */
export function chiSquareSf(x: number, df: number): number {
  if (x <= 0) return 1;
  return gammaQ(df / 2, x / 2);
}
