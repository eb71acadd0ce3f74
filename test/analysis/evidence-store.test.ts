import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type EventStore, type SwitchyardEvent } from '@switchyard/data';
import { analyzeCanary, loadCanaryEvidence, loadShadowEvidence, lookAtExperiment } from '../../src/analysis/index.ts';
import type { CanaryResource, Experiment, ModelRolloutResource } from '../../src/config/types.ts';
import { createRng } from '../../src/stats/index.ts';
import { exposure, metric, t0 } from '../../packages/data/test/store/event-builders.ts';

/** Bugs of the decision layer that live where the store meets analysis (issue 15); each failed before its fix. */

describe('analysis never sees a NaN and judges declared metrics on exposed units', () => {
  let store: EventStore;
  beforeAll(async () => {
    store = await openStore({ backend: 'pglite' });
  });
  afterAll(async () => {
    await store?.close();
  });

  it('rows written before validation existed (NaN, ±Infinity, 1.5) never reach an analysis', async () => {
    const s = `"${store.schema}"`;
    await store.client.exec(`
      INSERT INTO ${s}.shadow_pairs (source, seq, time_ms, serial, env, rollout, model, primary_snapshot, candidate_snapshot, unit_key, similarity)
      SELECT 'legacy', g, ${t0} + g, 1, 'production', 'legacy-rollout', 'chat', 'a', 'b', 'u' || g,
             CASE WHEN g = 1 THEN 'NaN'::float8 WHEN g = 2 THEN 1.5 ELSE 0.9 + g / 10000.0 END
      FROM generate_series(1, 150) AS g;`);
    const rollout = {
      flag: 'legacy-rollout',
      shadow: { gate: { minAvgSimilarity: 0.9, minMinSimilarity: 0.7 } },
    } as ModelRolloutResource;
    // width_bucket threw "operand, lower bound, and upper bound cannot be NaN" for the whole query.
    const ev = await loadShadowEvidence(store.queries, rollout);
    expect(ev.histogram.reduce((a, b) => a + b, 0)).toBe(148);
    expect(ev.summary).toMatchObject({ pairs: 150, scored: 148, invalid: 2, atOrBelowMin: 0 });
    expect(ev.summary.avg).toBeLessThanOrEqual(1);
  });

  it('a NaN metric value left in the store does not turn a required revert into hold', async () => {
    const rng = createRng(4);
    const events: SwitchyardEvent[] = [];
    for (let u = 0; u < 2000; u++) {
      const arm = u % 2 === 0 ? 'control' : 'candidate';
      events.push(
        exposure(`c${u}`, arm, 'rag', 'canary'),
        metric(`c${u}`, arm, 'relevance', rng.normal(arm === 'control' ? 0.75 : 0.485, 0.1), 'rag', 'canary'),
      );
    }
    await store.writeBatch(events.map((event, i) => ({ source: 'canary', seq: i + 1, event })));
    await store.client
      .exec(`INSERT INTO "${store.schema}".metrics (source, seq, time_ms, serial, env, subject, key, variant, unit_key, metric, value)
      VALUES ('legacy', 1, ${t0}, 1, 'production', 'canary', 'rag', 'candidate', 'c1', 'relevance', 'NaN'::float8)`);
    const canary = {
      kind: 'Canary',
      flag: 'rag',
      percent: 10,
      stages: [10, 25, 50, 100],
      killed: false,
      unit: 'userId',
      analysis: { metric: 'relevance', revertBelow: 0.95, advanceAbove: 1.05, minSamples: 500 },
    } as unknown as CanaryResource;
    const a = analyzeCanary(canary, await loadCanaryEvidence(store.queries, canary));
    expect(Number.isFinite(a.candidate!.mean)).toBe(true);
    expect(a.index!.index).toBeCloseTo(0.646, 1);
    expect(a.decision).toBe('revert');
  });

  it('a conversion-only metric (1 on conversion, nothing otherwise) is judged on exposed units and finds its winner', async () => {
    const rng = createRng(5);
    const events: SwitchyardEvent[] = [];
    for (let u = 0; u < 6000; u++) {
      const variant = u % 2 === 0 ? 'control' : 'treatment';
      events.push(exposure(`v${u}`, variant, 'conv', 'experiment', t0 + u * 1000));
      if (rng.bernoulli(variant === 'control' ? 0.1 : 0.14))
        events.push(metric(`v${u}`, variant, 'converted', 1, 'conv', 'experiment', t0 + u * 1000 + 5));
    }
    await store.writeBatch(events.map((event, i) => ({ source: 'conv', seq: i + 1, event })));
    const experiment: Experiment = {
      experiment: 'conv',
      status: 'running',
      prompt: 'p',
      unit: 'userId',
      traffic: 100,
      variants: { control: { version: 1, weight: 50 }, treatment: { version: 2, weight: 50 } },
      metrics: {
        primary: 'converted',
        guardrails: [],
        definitions: { converted: { kind: 'binary', direction: 'higher' } },
      },
      minSamples: 1000,
    };
    const a = await lookAtExperiment(store, experiment);
    expect(a.variants.map((v) => v.n)).toEqual([3000, 3000]);
    expect(a.comparisons[0]!.test).toBe('two-proportion');
    expect(a.decision).toBe('winner');
    expect(a.winner).toBe('treatment');
    // the chart's last point is the table's proportion (unit level, exposed units as denominator)
    for (const v of a.variants) expect(a.series!.cumulative[v.variant]!.at(-1)).toBeCloseTo(v.mean, 12);
    // the running minimum and the mixing scale were stored for the next look
    const state = await store.decisionState.load('experiment', 'conv', '');
    expect(state['converted/treatment']!.minP).toBe(a.comparisons[0]!.sequential!.minP);
    expect(state['converted/treatment']!.tau).toBeGreaterThan(0);
    expect(state.srm!.looks).toBe(1);
  });

  it('the chart plots unit means, as the table does (units with many events do not dominate)', async () => {
    const events: SwitchyardEvent[] = [];
    // control: one unit with 5 events of 1 and one with a single 9 → unit means 1 and 9 → 5 (event mean 2.33)
    for (let k = 0; k < 5; k++) events.push(metric('heavy', 'control', 'score', 1, 'units', 'experiment', t0 + k));
    events.push(metric('light', 'control', 'score', 9, 'units', 'experiment', t0 + 10));
    events.push(exposure('heavy', 'control', 'units'), exposure('light', 'control', 'units'));
    await store.writeBatch(events.map((event, i) => ({ source: 'units', seq: i + 1, event })));
    const series = await store.queries.metricSeries('experiment', 'units', 'score', 12);
    const [row] = await store.queries.metricByVariant('experiment', 'units', 'score');
    const total = series!.points.reduce((a, p) => ({ n: a.n + p.n, sum: a.sum + p.sum }), { n: 0, sum: 0 });
    expect(total.sum / total.n).toBe(5);
    expect(row!.mean).toBe(5);
  });
});
