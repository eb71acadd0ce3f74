/** Sufficient statistics of one sample: what the store's queries return and the tests consume. */
export interface Summary {
  n: number;
  mean: number;
  /** Sample variance (n − 1 denominator); 0 when n < 2. */
  variance: number;
}

/** Summary of raw values (Welford's algorithm, numerically stable). */
export function summarize(values: ArrayLike<number>): Summary {
  let n = 0;
  let mean = 0;
  let m2 = 0;
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    n += 1;
    const delta = x - mean;
    mean += delta / n;
    m2 += delta * (x - mean);
  }
  return { n, mean: n > 0 ? mean : 0, variance: n > 1 ? m2 / (n - 1) : 0 };
}

/** Summary from running sums (Σx, Σx²), as accumulated by simulations. */
export function fromSums(n: number, sum: number, sumSquares: number): Summary {
  if (n === 0) return { n: 0, mean: 0, variance: 0 };
  const mean = sum / n;
  const variance = n > 1 ? Math.max(0, (sumSquares - n * mean * mean) / (n - 1)) : 0;
  return { n, mean, variance };
}

/** Summary of a 0/1 sample with `successes` ones out of `n`. */
export function fromProportion(successes: number, n: number): Summary {
  if (n === 0) return { n: 0, mean: 0, variance: 0 };
  const p = successes / n;
  return { n, mean: p, variance: n > 1 ? (n * p * (1 - p)) / (n - 1) : 0 };
}
