import { describe, expect, it } from 'vitest';
import {
  createRng,
  fromSums,
  msprt,
  srmCheck,
  twoSamplePower,
  twoProportionZTest,
  welchTTest,
  type Rng,
} from '../../src/stats/index.ts';

// Deterministic Monte Carlo checks (seeded PRNG): the tests' error rates are what theory says.
const RUNS = 1000;
const ALPHA = 0.05;
// A binomial(1000, 0.05) rate has sd 0.0069; 3 sd bounds keep the checks from being seed-fitted.
const band = (p: number): [number, number] => {
  const sd = Math.sqrt((p * (1 - p)) / RUNS);
  return [p - 3 * sd, p + 3 * sd];
};

function arm(rng: Rng, n: number, mean: number, sd: number) {
  let sum = 0;
  let sumSquares = 0;
  for (let i = 0; i < n; i++) {
    const x = rng.normal(mean, sd);
    sum += x;
    sumSquares += x * x;
  }
  return fromSums(n, sum, sumSquares);
}

describe('simulated experiments', () => {
  it('1,000 A/A experiments: the always-valid decision rule, monitored at 20 looks, keeps false positives ≤ 5%', () => {
    const rng = createRng(20240601);
    let sequentialFalsePositives = 0;
    let peekingFixedFalsePositives = 0;
    let finalLookFixedFalsePositives = 0;
    for (let run = 0; run < RUNS; run++) {
      const sums = [
        { n: 0, s: 0, ss: 0 },
        { n: 0, s: 0, ss: 0 },
      ];
      let seqRejected = false;
      let fixedRejected = false;
      let last = null;
      for (let look = 0; look < 20; look++) {
        for (const acc of sums) {
          for (let i = 0; i < 100; i++) {
            const x = rng.normal(10, 3);
            acc.n += 1;
            acc.s += x;
            acc.ss += x * x;
          }
        }
        const c = fromSums(sums[0]!.n, sums[0]!.s, sums[0]!.ss);
        const t = fromSums(sums[1]!.n, sums[1]!.s, sums[1]!.ss);
        if (msprt(c, t, ALPHA)!.significant) seqRejected = true;
        last = welchTTest(c, t, ALPHA)!;
        if (last.pValue < ALPHA) fixedRejected = true;
      }
      if (seqRejected) sequentialFalsePositives += 1;
      if (fixedRejected) peekingFixedFalsePositives += 1;
      if (last!.pValue < ALPHA) finalLookFixedFalsePositives += 1;
    }
    const seqRate = sequentialFalsePositives / RUNS;
    const fixedFinalRate = finalLookFixedFalsePositives / RUNS;
    const peekingRate = peekingFixedFalsePositives / RUNS;
    console.log(
      `A/A: sequential (20 looks) FPR ${seqRate}, Welch at final look ${fixedFinalRate}, Welch with peeking ${peekingRate}`,
    );
    expect(seqRate).toBeLessThanOrEqual(0.05);
    // Welch at a single pre-planned look is calibrated: its rate is 5% up to sampling error.
    const [lo, hi] = band(0.05);
    expect(fixedFinalRate).toBeGreaterThanOrEqual(lo);
    expect(fixedFinalRate).toBeLessThanOrEqual(hi);
    // …and peeking at it 20 times is exactly the inflation the sequential rule exists to avoid.
    expect(peekingRate).toBeGreaterThan(0.1);
  });

  it('1,000 A/A experiments on a conversion metric: two-proportion test FPR within sampling error of 5%', () => {
    const rng = createRng(7);
    let falsePositives = 0;
    for (let run = 0; run < RUNS; run++) {
      let a = 0;
      let b = 0;
      for (let i = 0; i < 2000; i++) {
        if (rng.bernoulli(0.2)) a += 1;
        if (rng.bernoulli(0.2)) b += 1;
      }
      if (twoProportionZTest(a, 2000, b, 2000)!.pValue < ALPHA) falsePositives += 1;
    }
    const rate = falsePositives / RUNS;
    const [lo, hi] = band(0.05);
    expect(rate).toBeGreaterThanOrEqual(lo);
    expect(rate).toBeLessThanOrEqual(hi);
  });

  it('an injected 10% lift is detected with the power theory predicts', () => {
    // mean 10, sd 5, 10% lift = +1; n = 400 per arm → expected power ≈ 0.81
    const n = 400;
    const expected = twoSamplePower(1, 5, 5, n, n, ALPHA);
    const rng = createRng(99);
    let detected = 0;
    let wrongDirection = 0;
    for (let run = 0; run < RUNS; run++) {
      const r = welchTTest(arm(rng, n, 10, 5), arm(rng, n, 11, 5), ALPHA)!;
      if (r.pValue < ALPHA) {
        if (r.difference > 0) detected += 1;
        else wrongDirection += 1;
      }
    }
    const power = detected / RUNS;
    console.log(`10% lift: expected power ${expected.toFixed(3)}, observed ${power}`);
    expect(expected).toBeGreaterThan(0.78);
    expect(expected).toBeLessThan(0.84);
    const [lo, hi] = band(expected);
    expect(power).toBeGreaterThanOrEqual(lo);
    expect(power).toBeLessThanOrEqual(hi);
    expect(wrongDirection).toBeLessThanOrEqual(2);
  });

  it('the sequential rule also finds a 10% lift, given more units', () => {
    const rng = createRng(5);
    let detected = 0;
    for (let run = 0; run < 200; run++) {
      if (msprt(arm(rng, 1500, 10, 5), arm(rng, 1500, 11, 5), ALPHA)!.significant) detected += 1;
    }
    // Welch's power at n = 1500 is ~1.0; the always-valid test pays for its guarantee with some power.
    expect(detected / 200).toBeGreaterThan(0.8);
  });

  it('a 45/55 assignment of 5,000 units trips SRM (p < 0.001) in ≥ 99.9% of runs; a fair 50/50 one almost never does', () => {
    const rng = createRng(4555);
    let tripped = 0;
    let falseAlarms = 0;
    for (let run = 0; run < RUNS; run++) {
      let skewedTreatment = 0;
      let fairTreatment = 0;
      for (let i = 0; i < 5000; i++) {
        if (rng.bernoulli(0.55)) skewedTreatment += 1;
        if (rng.bernoulli(0.5)) fairTreatment += 1;
      }
      if (srmCheck([5000 - skewedTreatment, skewedTreatment], [50, 50])!.mismatch) tripped += 1;
      if (srmCheck([5000 - fairTreatment, fairTreatment], [50, 50])!.mismatch) falseAlarms += 1;
    }
    console.log(`SRM: 45/55 tripped ${tripped}/${RUNS}, 50/50 false alarms ${falseAlarms}/${RUNS}`);
    // non-centrality 5000·(0.1)² = 50: the chance a run stays under the p < 0.001 line is ≈ Φ(3.29 − 7.07) ≈ 1e-4
    expect(tripped).toBeGreaterThanOrEqual(999);
    expect(falseAlarms).toBeLessThanOrEqual(5);
  });
});
