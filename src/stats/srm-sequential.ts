import { lnGamma } from './special.ts';
import { SRM_THRESHOLD } from './srm.ts';

export interface SequentialSrmResult {
  observed: number[];
  expected: number[];
  /** Bayes factor of "some other split" against the configured one (Dirichlet–multinomial mixture). */
  bayesFactor: number;
  /** Always-valid p-value min(1, 1/BF): valid however often it is looked at. */
  pValue: number;
  mismatch: boolean;
}

/**
 * Sequential sample-ratio-mismatch test (Lindon & Malek, "Anytime-valid inference for multinomial
 * count data", 2022): the unit counts per variant are multinomial with the configured weights under
 * H0; the alternative mixes over splits with a Dirichlet prior centred on the weights
 * (concentration `concentration`, default 100 pseudo-units). The Bayes factor is a nonnegative
 * martingale under H0, so by Ville's inequality P(BF ever ≥ 1/α) ≤ α: checking it every hour for
 * months still raises a false alarm with probability at most α (the χ² check at p < 0.001 checked
 * 20 times alarms ~1% of the time). Assumption: units are assigned independently with the
 * configured probabilities; counts only grow. Weights of 0 must have 0 units (else p = 0).
 */
export function srmSequential(
  observed: number[],
  weights: number[],
  threshold = SRM_THRESHOLD,
  concentration = 100,
): SequentialSrmResult {
  const weightSum = weights.reduce((a, b) => a + b, 0);
  const total = observed.reduce((a, b) => a + b, 0);
  const expected = weights.map((w) => (weightSum > 0 ? (total * w) / weightSum : 0));
  if (observed.length !== weights.length || !(weightSum > 0) || total <= 0) {
    return { observed, expected, bayesFactor: 1, pValue: 1, mismatch: false };
  }
  let logBf = lnGamma(concentration) - lnGamma(concentration + total);
  for (let i = 0; i < observed.length; i++) {
    const x = observed[i]!;
    const p = weights[i]! / weightSum;
    if (p === 0) {
      if (x > 0) return { observed, expected, bayesFactor: Infinity, pValue: 0, mismatch: true };
      continue;
    }
    const a = concentration * p;
    logBf += lnGamma(a + x) - lnGamma(a) - x * Math.log(p);
  }
  const pValue = Math.min(1, Math.exp(-logBf));
  return { observed, expected, bayesFactor: Math.exp(Math.min(logBf, 700)), pValue, mismatch: pValue < threshold };
}
