import { mixingScales, msprtMixture, normalCdf, samplesPerArm } from '../stats/index.ts';

export interface PlanInput {
  /** Control mean (a proportion for a binary metric). */
  baselineMean: number;
  /** Unit-level standard deviation (binary: √(p(1 − p)), derived when omitted). */
  sd?: number;
  /** Relative minimum detectable effect (0.02 = 2%). */
  mde: number;
  binary?: boolean;
  alpha?: number;
  power?: number;
}

export interface Plan {
  /** The absolute effect planned for: mde × |baseline|. */
  effect: number;
  sd: number;
  /** Units per arm a fixed-horizon test looked at once would need. */
  fixedHorizonPerArm: number;
  /**
   * Units per arm for the always-valid test the decisions use, with its mixing scale fixed at
   * τ0 = effect (`mixingScales`): the smallest n where the test's power at n alone reaches the
   * target. Looking earlier as well only adds chances to stop, so this is conservative.
   */
  sequentialPerArm: number;
  /** Power of the always-valid test at `sequentialPerArm` (final look alone). */
  sequentialPower: number;
  tau: number;
}

/** Power of the mixture mSPRT against `effect` with n units per arm and unit sd `sd`, judged at n alone. */
export function sequentialPowerAt(n: number, effect: number, sd: number, tau: number, alpha: number): number {
  const arm = { n, mean: 0, variance: sd * sd };
  const cs = msprtMixture(arm, arm, alpha, mixingScales(tau));
  if (!cs) return 0;
  const half = cs.ci[1];
  const se = Math.sqrt((2 * sd * sd) / n);
  return normalCdf((Math.abs(effect) - half) / se) + normalCdf((-Math.abs(effect) - half) / se);
}

/**
 * Sample size for an experiment (pure): the fixed-horizon number people know, and what the
 * sequential decision rule actually needs (typically about twice as many units; that is the price
 * of being allowed to look every hour). Normal approximation on unit-level means.
 */
export function planExperiment(input: PlanInput): Plan {
  const alpha = input.alpha ?? 0.05;
  const power = input.power ?? 0.8;
  const p = input.baselineMean;
  // Binary: the pooled unit sd of both arms at the planned rates (the treatment's rate moves its variance too).
  const p1 = p * (1 + input.mde);
  const sd = input.sd ?? (input.binary ? Math.sqrt((p * (1 - p) + p1 * (1 - p1)) / 2) : Number.NaN);
  const effect = input.mde * Math.abs(input.baselineMean);
  if (!(sd > 0) || !(effect > 0)) throw new RangeError('planning needs a positive sd and a non-zero baseline and mde');
  const fixed = samplesPerArm(effect, sd, power, alpha);
  const tau = effect;
  let lo = Math.max(2, Math.floor(fixed / 2));
  let hi = fixed;
  while (sequentialPowerAt(hi, effect, sd, tau, alpha) < power) hi *= 2;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (sequentialPowerAt(mid, effect, sd, tau, alpha) >= power) hi = mid;
    else lo = mid;
  }
  return {
    effect,
    sd,
    fixedHorizonPerArm: fixed,
    sequentialPerArm: hi,
    sequentialPower: sequentialPowerAt(hi, effect, sd, tau, alpha),
    tau,
  };
}
