import { describe, expect, it } from 'vitest';
import {
  chiSquareSf,
  fromProportion,
  lnGamma,
  msprt,
  normalCdf,
  normalQuantile,
  quantile,
  ratioCiDelta,
  ratioCiFieller,
  samplesPerArm,
  srmCheck,
  studentTQuantile,
  summarize,
  twoProportionZTest,
  twoSamplePower,
  welchTTest,
} from '../../src/stats/index.ts';

// Published values: standard normal / t / chi-square tables (e.g. NIST/SEMATECH e-Handbook of
// Statistical Methods §1.3.6.7) and R's documented outputs; each was also re-computed with
// scipy 1.17 (scipy.stats) on this machine.
describe('distributions against table values', () => {
  it('normal cdf and quantile', () => {
    expect(normalCdf(1.959963984540054)).toBeCloseTo(0.975, 12);
    expect(normalCdf(0)).toBe(0.5);
    expect(normalCdf(-1)).toBeCloseTo(0.15865525393145707, 12);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 10);
    expect(normalQuantile(0.05)).toBeCloseTo(-1.6448536269514729, 10);
    // deep tail keeps precision (scipy.stats.norm.sf(8) = 6.22096057427174e-16)
    expect(normalCdf(-8) / 6.22096057427174e-16).toBeCloseTo(1, 8);
  });

  it('student t quantiles (t table: t_{0.975,10} = 2.228, t_{0.975,1} = 12.706)', () => {
    expect(studentTQuantile(0.975, 10)).toBeCloseTo(2.228138851986274, 9);
    expect(studentTQuantile(0.975, 1)).toBeCloseTo(12.706204736174698, 8);
    expect(studentTQuantile(0.995, 30)).toBeCloseTo(2.749995653567046, 8);
  });

  it('chi-square critical values (df 1: 3.841 at 0.05, 10.828 at 0.001)', () => {
    expect(chiSquareSf(3.841458820694124, 1)).toBeCloseTo(0.05, 12);
    expect(chiSquareSf(10.827566170662733, 1)).toBeCloseTo(0.001, 12);
    expect(chiSquareSf(100, 1) / 1.5239706048320995e-23).toBeCloseTo(1, 8);
    expect(chiSquareSf(11.070497693516351, 5)).toBeCloseTo(0.05, 12);
  });

  it('log-gamma at integers and halves', () => {
    expect(lnGamma(10)).toBeCloseTo(Math.log(362880), 11);
    expect(lnGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 12);
  });

  it('quantile matches percentile_cont / R type 7', () => {
    expect(quantile([1, 2, 3, 4], 0.1)).toBeCloseTo(1.3, 12);
    expect(quantile([5], 0.1)).toBe(5);
    expect(Number.isNaN(quantile([], 0.5))).toBe(true);
  });
});

describe("Welch's t-test", () => {
  // R: t.test(extra ~ group, data = sleep) — Student's sleep data (Cushny & Peebles 1905):
  // "t = -1.8608, df = 17.776, p-value = 0.07939; 95 percent CI: -3.3654832 0.2054832"
  const group1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0];
  const group2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4];

  it('reproduces R on the sleep data', () => {
    const r = welchTTest(summarize(group1), summarize(group2));
    expect(r).not.toBeNull();
    expect(r!.t).toBeCloseTo(1.8608134674868526, 10);
    expect(r!.df).toBeCloseTo(17.776473516178488, 9);
    expect(r!.pValue).toBeCloseTo(0.0793941401873583, 10);
    expect(r!.ci[0]).toBeCloseTo(-0.20548323071171137, 8);
    expect(r!.ci[1]).toBeCloseTo(3.3654832307117104, 8);
  });

  it('is undefined (null) rather than NaN for degenerate samples', () => {
    expect(welchTTest(summarize([1]), summarize([1, 2]))).toBeNull();
    expect(welchTTest(summarize([2, 2, 2]), summarize([2, 2]))).toBeNull();
  });
});

describe('two-proportion z-test', () => {
  // 15/100 vs 30/100. Pearson chi-square without continuity correction on [[15,85],[30,70]]
  // (R: prop.test(c(15,30), c(100,100), correct = FALSE); scipy chi2_contingency(correction=False)):
  // X-squared = 6.4516, p-value = 0.01109. The z-test is the same test: z² = X².
  it('agrees with the chi-square test on the 2×2 table', () => {
    const r = twoProportionZTest(15, 100, 30, 100)!;
    expect(r.difference).toBeCloseTo(0.15, 12);
    expect(r.z * r.z).toBeCloseTo(6.451612903225806, 10);
    expect(r.pValue).toBeCloseTo(0.011085166380602708, 10);
    // Wald interval: 0.15 ± 1.96·sqrt(.15·.85/100 + .3·.7/100)
    const se = Math.sqrt((0.15 * 0.85) / 100 + (0.3 * 0.7) / 100);
    expect(r.ci[0]).toBeCloseTo(0.15 - 1.959963984540054 * se, 10);
  });

  it('is null when both rates are 0', () => {
    expect(twoProportionZTest(0, 10, 0, 10)).toBeNull();
    expect(twoProportionZTest(0, 0, 1, 10)).toBeNull();
  });

  it('fromProportion gives the Bernoulli sample variance', () => {
    const s = fromProportion(3, 10);
    const raw = summarize([1, 1, 1, 0, 0, 0, 0, 0, 0, 0]);
    expect(s.mean).toBeCloseTo(raw.mean, 12);
    expect(s.variance).toBeCloseTo(raw.variance, 12);
  });
});

describe('sample-ratio mismatch', () => {
  it('flags a 45/55 split of 10,000 units (chi-square 100, p ≈ 1.5e-23)', () => {
    const r = srmCheck([4500, 5500], [50, 50])!;
    expect(r.chiSquare).toBeCloseTo(100, 10);
    expect(r.pValue / 1.5239706048320995e-23).toBeCloseTo(1, 6);
    expect(r.mismatch).toBe(true);
  });

  it('passes a split within chance (5,050 / 4,950: chi-square 1)', () => {
    const r = srmCheck([5050, 4950], [50, 50])!;
    expect(r.chiSquare).toBeCloseTo(1, 10);
    expect(r.mismatch).toBe(false);
  });

  it('uses configured unequal weights', () => {
    expect(srmCheck([2000, 8000], [20, 80])!.mismatch).toBe(false);
    expect(srmCheck([5000, 5000], [20, 80])!.mismatch).toBe(true);
    expect(srmCheck([0, 0], [50, 50])).toBeNull();
  });
});

describe('ratio confidence intervals', () => {
  it('delta method and Fieller agree for precise control means and bracket the ratio', () => {
    const control = { n: 2000, mean: 0.8, variance: 0.04 };
    const candidate = { n: 2000, mean: 0.72, variance: 0.05 };
    const d = ratioCiDelta(control, candidate)!;
    const f = ratioCiFieller(control, candidate)!;
    expect(d.ratio).toBeCloseTo(0.9, 12);
    expect(d.ci[0]).toBeLessThan(0.9);
    expect(d.ci[1]).toBeGreaterThan(0.9);
    expect(f.ci[0]).toBeCloseTo(d.ci[0], 3);
    expect(f.ci[1]).toBeCloseTo(d.ci[1], 3);
    // hand computation of the delta-method half-width: 1.96 · 0.9 · sqrt(.05/(2000·.72²) + .04/(2000·.8²))
    const half = 1.959963984540054 * 0.9 * Math.sqrt(0.05 / (2000 * 0.72 ** 2) + 0.04 / (2000 * 0.64));
    expect(d.ci[1] - d.ratio).toBeCloseTo(half, 12);
  });

  it('Fieller is unbounded (null) when the control mean is indistinguishable from 0', () => {
    expect(ratioCiFieller({ n: 10, mean: 0.1, variance: 1 }, { n: 10, mean: 1, variance: 1 })).toBeNull();
  });
});

describe('power and the sequential test', () => {
  it('sample size formula inverts the power formula', () => {
    const n = samplesPerArm(0.1, 1, 0.8);
    expect(n).toBe(1570); // 2·(1.95996+0.84162)²/0.01 = 1569.8
    expect(twoSamplePower(0.1, 1, 1, n, n)).toBeGreaterThanOrEqual(0.8);
    expect(twoSamplePower(0.1, 1, 1, n - 20, n - 20)).toBeLessThan(0.8);
  });

  it('mSPRT is conservative relative to the fixed-horizon test and its interval is wider', () => {
    const control = { n: 1000, mean: 1, variance: 1 };
    const treatment = { n: 1000, mean: 1.1, variance: 1 };
    const fixed = welchTTest(control, treatment)!;
    const seq = msprt(control, treatment)!;
    expect(fixed.pValue).toBeLessThan(0.05);
    expect(seq.pValue).toBeGreaterThan(fixed.pValue);
    expect(seq.ci[1] - seq.ci[0]).toBeGreaterThan(fixed.ci[1] - fixed.ci[0]);
    // consistency: significant ⇔ 0 is outside the confidence sequence ⇔ p ≤ alpha
    expect(seq.significant).toBe(seq.ci[0] > 0 || seq.ci[1] < 0);
    expect(seq.significant).toBe(seq.pValue <= 0.05);
  });
});
