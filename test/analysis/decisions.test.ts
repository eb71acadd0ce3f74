import { describe, expect, it } from 'vitest';
import { analyzeCanary, analyzeExperiment, analyzeShadow, nextStage } from '../../src/analysis/index.ts';
import { canaryFixture, experimentFixture, rolloutFixture, variantFixture } from './fixtures.ts';

const experiment = experimentFixture;
const canary = canaryFixture;
const rollout = rolloutFixture;
const v = variantFixture;

describe('experiment decisions', () => {
  it('winner when the always-valid test finds a lift and SRM passes', () => {
    const a = analyzeExperiment(experiment, {
      variants: [v('control', 5000, 5000, 4, 1), v('treatment', 5020, 5020, 4.2, 1)],
      guardrails: {},
      series: null,
    });
    expect(a.decision).toBe('winner');
    expect(a.winner).toBe('treatment');
    expect(a.comparisons[0]!.test).toBe('welch');
    expect(a.comparisons[0]!.relativeLift).toBeCloseTo(0.05, 10);
    expect(a.srm!.mismatch).toBe(false);
  });

  it('blocked: SRM on a 45/55 split, even with a large lift', () => {
    const a = analyzeExperiment(experiment, {
      variants: [v('control', 4500, 4500, 4, 1), v('treatment', 5500, 5500, 4.5, 1)],
      guardrails: {},
      series: null,
    });
    expect(a.decision).toBe('blocked: SRM');
    expect(a.winner).toBeNull();
    expect(a.reasons[0]).toMatch(/sample ratio mismatch/);
  });

  it('no difference yet below the minimum sample, and when the effect is within noise', () => {
    expect(
      analyzeExperiment(experiment, {
        variants: [v('control', 900, 900, 4, 1), v('treatment', 910, 910, 5, 1)],
        guardrails: {},
        series: null,
      }).decision,
    ).toBe('no difference yet');
    const a = analyzeExperiment(experiment, {
      variants: [v('control', 5000, 5000, 4, 1), v('treatment', 5000, 5000, 4.045, 1)],
      guardrails: {},
      series: null,
    });
    expect(a.decision).toBe('no difference yet');
    // The fixed-horizon p is already below 0.05 (t = 2.25), but a scheduled job peeks repeatedly:
    // the decision waits for the always-valid test.
    expect(a.comparisons[0]!.pValue).toBeLessThan(0.05);
    expect(a.comparisons[0]!.sequential!.significant).toBe(false);
  });

  it('uses the two-proportion test for 0/1 metrics and refuses a winner that breaches a guardrail', () => {
    const a = analyzeExperiment(experiment, {
      variants: [
        v('control', 5000, 5000, 0.2, Math.sqrt(0.16), true),
        v('treatment', 5000, 5000, 0.26, Math.sqrt(0.26 * 0.74), true),
      ],
      guardrails: { latency_ms: [v('control', 0, 5000, 800, 100), v('treatment', 0, 5000, 1000, 100)] },
      series: null,
    });
    expect(a.comparisons[0]!.test).toBe('two-proportion');
    expect(a.guardrails[0]!.breached).toBe(true);
    expect(a.decision).toBe('no difference yet');
    expect(a.reasons.join('\n')).toMatch(/breaches guardrail latency_ms/);
  });

  it('a missing variant counts as zero units (and trips SRM when the other has many)', () => {
    const a = analyzeExperiment(experiment, {
      variants: [v('control', 3000, 3000, 4, 1)],
      guardrails: {},
      series: null,
    });
    expect(a.variants.map((x) => x.variant)).toEqual(['control', 'treatment']);
    expect(a.decision).toBe('blocked: SRM');
  });
});

describe('canary decisions', () => {
  const ev = (candidateMean: number, n = 1000, guardrails = {}) => ({
    variants: [v('candidate', n, n, candidateMean, 0.1), v('control', 9 * n, 9 * n, 0.75, 0.1)],
    guardrails,
    series: null,
  });

  it('revert below 95% of control', () => {
    const a = analyzeCanary(canary, ev(0.7));
    expect(a.decision).toBe('revert');
    expect(a.nextPercent).toBe(0);
    expect(a.ratio!.ratio).toBeCloseTo(0.7 / 0.75, 12);
  });

  it('advance above 105% with a CI above 1 — to the next stage only', () => {
    const a = analyzeCanary(canary, ev(0.8));
    expect(a.decision).toBe('advance');
    expect(a.nextPercent).toBe(25);
    expect(analyzeCanary({ ...canary, percent: 25 }, ev(0.8)).nextPercent).toBe(50);
    expect(analyzeCanary({ ...canary, percent: 100 }, ev(0.8)).decision).toBe('hold');
  });

  it('hold in between, below the minimum samples, and when killed', () => {
    expect(analyzeCanary(canary, ev(0.76)).decision).toBe('hold');
    expect(analyzeCanary(canary, ev(0.6, 400)).decision).toBe('hold');
    expect(analyzeCanary({ ...canary, killed: true }, ev(0.6)).decision).toBe('hold');
  });

  it('a breached guardrail reverts even a better candidate', () => {
    const a = analyzeCanary(
      canary,
      ev(0.8, 1000, { error: [v('control', 0, 9000, 0.01, 0.1), v('candidate', 0, 1000, 0.05, 0.2)] }),
    );
    expect(a.decision).toBe('revert');
    expect(a.reasons.join('\n')).toMatch(/guardrail error breached/);
  });

  it('next stage never skips', () => {
    expect(nextStage(1, [1, 5, 25, 100])).toBe(5);
    expect(nextStage(0, [1, 5, 25, 100])).toBe(1);
    expect(nextStage(7, [1, 5, 25, 100])).toBe(25);
    expect(nextStage(100, [1, 5, 25, 100])).toBeNull();
  });
});

describe('shadow decisions (the article: avg > 0.9 and min > 0.7)', () => {
  const summary = (avg: number, min: number, scored = 200) => ({
    summary: { pairs: scored, scored, errors: 0, invalid: 0, atOrBelowMin: null, avg, min, p10: avg - 0.05, p50: avg },
    histogram: [],
    worst: [],
  });

  it('ready when both gates are met on enough pairs', () => {
    expect(analyzeShadow(rollout, summary(0.93, 0.75)).readyToSwitch).toBe(true);
    expect(analyzeShadow(rollout, summary(0.93, 0.75, 50)).readyToSwitch).toBe(false);
    expect(analyzeShadow(rollout, summary(0.93, 0.75, 50), { minPairs: 50 }).readyToSwitch).toBe(true);
  });

  it('not ready on a low minimum; failing (kill-worthy) on a low average', () => {
    const lowMin = analyzeShadow(rollout, summary(0.93, 0.6));
    expect(lowMin.readyToSwitch).toBe(false);
    expect(lowMin.failing).toBe(false);
    const lowAvg = analyzeShadow(rollout, summary(0.85, 0.75));
    expect(lowAvg.readyToSwitch).toBe(false);
    expect(lowAvg.failing).toBe(true);
    // exactly at the gate is not above it
    expect(analyzeShadow(rollout, summary(0.9, 0.75)).readyToSwitch).toBe(false);
  });
});
