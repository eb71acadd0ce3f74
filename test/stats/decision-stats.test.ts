import { describe, expect, it } from 'vitest';
import { createRng, holm, ratioCiFieller, relativeIndex, srmSequential, type Summary } from '../../src/stats/index.ts';

const s = (n: number, mean: number, sd: number): Summary => ({ n, mean, variance: sd * sd });

describe('ratio intervals', () => {
  it('Fieller keeps its endpoints ordered when the control mean is negative', () => {
    const r = ratioCiFieller(s(100, -2, 1), s(100, -2.2, 1))!;
    expect(r.ratio).toBeCloseTo(1.1, 12);
    expect(r.ci[0]).toBeLessThan(r.ci[1]);
    expect(r.ci[0]).toBeLessThan(r.ratio);
    expect(r.ci[1]).toBeGreaterThan(r.ratio);
  });

  it('the relative index is direction-aware and defined for any sign of the control mean', () => {
    // control −1, candidate −1.2, higher is better: the candidate is 20% worse.
    const worse = relativeIndex(s(1000, -1, 0.5), s(1000, -1.2, 0.5), 'higher')!;
    expect(worse.index).toBeCloseTo(0.8, 12);
    expect(worse.ci[0]).toBeLessThan(worse.index);
    expect(worse.ci[1]).toBeGreaterThan(worse.index);
    // positive metric, higher is better: the plain ratio.
    expect(relativeIndex(s(1000, 2, 0.5), s(1000, 2.2, 0.5), 'higher')!.index).toBeCloseTo(1.1, 12);
    // lower is better (latency): 10% slower is an index of 0.9.
    expect(relativeIndex(s(1000, 100, 5), s(1000, 110, 5), 'lower')!.index).toBeCloseTo(0.9, 12);
    // a control mean of 0 has no relative scale: refused.
    expect(relativeIndex(s(1000, 0, 1), s(1000, 0.1, 1), 'higher')).toBeNull();
  });
});

describe('sequential sample-ratio check', () => {
  it('flags a gross mismatch and passes a fair split', () => {
    expect(srmSequential([4500, 5500], [50, 50]).pValue).toBeLessThan(1e-6);
    expect(srmSequential([5010, 4990], [50, 50]).pValue).toBe(1);
  });

  it('20 looks at 2,000 fair A/A assignments: false alarms at p < 0.001 stay ≤ 0.1% (running minimum)', () => {
    const rng = createRng(15);
    let alarms = 0;
    const runs = 2000;
    for (let r = 0; r < runs; r++) {
      const counts = [0, 0, 0];
      let min = 1;
      for (let look = 0; look < 20; look++) {
        for (let i = 0; i < 500; i++) {
          const u = rng.next();
          counts[u < 0.5 ? 0 : u < 0.75 ? 1 : 2]! += 1;
        }
        min = Math.min(min, srmSequential(counts, [50, 25, 25]).pValue);
      }
      if (min < 0.001) alarms += 1;
    }
    expect(alarms / runs).toBeLessThanOrEqual(0.001);
  });
});

describe('Holm', () => {
  it('step-down adjusted p-values, monotone and capped at 1', () => {
    expect(holm([0.01, 0.04, 0.03, 0.5])).toEqual([0.04, 0.09, 0.09, 0.5]);
    expect(holm([])).toEqual([]);
    expect(holm([0.6, 0.6])).toEqual([1, 1]);
  });
});
