import type { Summary } from './summary.ts';

/** One normal mixing component of the mSPRT: scale τ (metric units) and its weight. */
export interface MixingScale {
  tau: number;
  weight: number;
}

/**
 * Mixing scales for a base scale τ0 (the effect one plans to detect): half the weight on τ0, a
 * quarter each on 4·τ0 and 16·τ0. A single small τ has almost no power against effects much
 * larger than it (a guardrail whose error rate quadrupled went undetected with τ = 10% of the
 * mean); a weighted average of mSPRT likelihood ratios is still a nonnegative martingale with
 * mean 1, so validity is unchanged, and the price is at most ln 2 (at τ0) or ln 4 (larger
 * effects) added to the log threshold ln(1/α).
 */
export function mixingScales(tau0: number): MixingScale[] {
  return [
    { tau: tau0, weight: 0.5 },
    { tau: 4 * tau0, weight: 0.25 },
    { tau: 16 * tau0, weight: 0.25 },
  ];
}

/** log Λ(d) = log Σ w_k · sqrt(V/(V+τk²)) · exp(τk² d² / (2V(V+τk²))) for an estimate d away from θ0. */
function logLambda(v: number, d: number, scales: readonly MixingScale[]): number {
  const terms = scales.map(({ tau, weight }) => {
    const t2 = tau * tau;
    return Math.log(weight) + 0.5 * Math.log(v / (v + t2)) + (t2 * d * d) / (2 * v * (v + t2));
  });
  const max = Math.max(...terms);
  return max + Math.log(terms.reduce((a, t) => a + Math.exp(t - max), 0));
}

export interface MixtureSequentialResult {
  difference: number;
  logLikelihoodRatio: number;
  /** Always-valid p-value min(1, 1/Λ). */
  pValue: number;
  /** Always-valid confidence sequence {θ0 : Λ(θ0) < 1/α} (an interval: Λ grows with |θ̂ − θ0|). */
  ci: [number, number];
  significant: boolean;
}

/**
 * mSPRT for a difference of means (treatment − control) with a mixture of normal mixing
 * distributions (Johari, Pekelis & Walsh 2017, eq. 11, averaged over `scales`), variance of the
 * difference estimated by V = s_c²/n_c + s_t²/n_t. Null when undefined (an arm below 2 units, no
 * variance, no positive scale).
 */
export function msprtMixture(
  control: Summary,
  treatment: Summary,
  alpha: number,
  scales: readonly MixingScale[],
): MixtureSequentialResult | null {
  if (control.n < 2 || treatment.n < 2) return null;
  const v = control.variance / control.n + treatment.variance / treatment.n;
  const valid = scales.filter((s) => s.tau > 0 && Number.isFinite(s.tau) && s.weight > 0);
  if (!(v > 0) || valid.length === 0) return null;
  const difference = treatment.mean - control.mean;
  const ll = logLambda(v, difference, valid);
  const target = Math.log(1 / alpha);
  // Half-width: the |d| where log Λ reaches ln(1/α); log Λ(0) < 0 < target, so bracket and bisect.
  let lo = 0;
  let hi = Math.sqrt(v);
  while (logLambda(v, hi, valid) < target) hi *= 2;
  for (let i = 0; i < 100 && hi - lo > 1e-12 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (logLambda(v, mid, valid) < target) lo = mid;
    else hi = mid;
  }
  const half = (lo + hi) / 2;
  return {
    difference,
    logLikelihoodRatio: ll,
    pValue: Math.min(1, Math.exp(-ll)),
    ci: [difference - half, difference + half],
    significant: ll >= target,
  };
}
