import type { Summary } from './summary.ts';

export interface SequentialResult {
  difference: number;
  /** Mixture likelihood ratio Λ for H0: difference = 0. */
  likelihoodRatio: number;
  /** Always-valid p-value min(1, 1/Λ) at this look (take the running minimum across looks). */
  pValue: number;
  /** Always-valid confidence sequence for the difference at `1 − alpha`. */
  ci: [number, number];
  /** True when Λ ≥ 1/alpha: the null can be rejected at this look, however often one has peeked. */
  significant: boolean;
  tau: number;
}

/**
 * Mixture sequential probability ratio test (mSPRT) for a difference of means with a normal
 * mixing distribution N(0, τ²) — Johari, Pekelis & Walsh, "Always valid inference: bringing
 * sequential analysis to A/B testing" (2017), eq. (11), with the variance of the difference
 * estimated by V = s_c²/n_c + s_t²/n_t. Because the scheduled `propose` job looks at running
 * experiments again and again, a fixed-horizon p-value would inflate false positives; decisions
 * therefore use this test, which stays valid under continuous monitoring.
 *
 * `tau` is the scale of effects one hopes to detect; when not given it is 10% of the control mean
 * (or the control standard deviation when the mean is 0).
 */
export function msprt(control: Summary, treatment: Summary, alpha = 0.05, tau?: number): SequentialResult | null {
  if (control.n < 2 || treatment.n < 2) return null;
  const v = control.variance / control.n + treatment.variance / treatment.n;
  if (!(v > 0)) return null;
  const t = tau ?? (Math.abs(control.mean) > 0 ? 0.1 * Math.abs(control.mean) : Math.sqrt(control.variance));
  if (!(t > 0)) return null;
  const t2 = t * t;
  const difference = treatment.mean - control.mean;
  const logLambda = 0.5 * Math.log(v / (v + t2)) + (t2 * difference * difference) / (2 * v * (v + t2));
  const likelihoodRatio = Math.exp(Math.min(logLambda, 700));
  // Λ(θ0) < 1/α  ⇔  (θ̂ − θ0)² < 2V(V+τ²)/τ² · (ln(1/α) + ½ ln((V+τ²)/V))
  const halfWidth = Math.sqrt(((2 * v * (v + t2)) / t2) * (Math.log(1 / alpha) + 0.5 * Math.log((v + t2) / v)));
  return {
    difference,
    likelihoodRatio,
    pValue: Math.min(1, Math.exp(-logLambda)),
    ci: [difference - halfWidth, difference + halfWidth],
    significant: logLambda >= Math.log(1 / alpha),
    tau: t,
  };
}
