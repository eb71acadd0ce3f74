import { describe, expect, it } from 'vitest';
import {
  analyzeShadow,
  cumulativeSeries,
  metricLineChart,
  renderAnalysis,
  similarityHistogram,
} from '../../src/analysis/index.ts';
import type { ModelRolloutResource } from '../../src/config/types.ts';

describe('charts and rendering', () => {
  it('cumulative series carries the mean forward per variant', () => {
    const s = cumulativeSeries({
      fromMs: 0,
      toMs: 299,
      buckets: 3,
      points: [
        { variant: 'control', bucket: 1, n: 2, sum: 8, sumSquares: 32 },
        { variant: 'control', bucket: 3, n: 2, sum: 12, sumSquares: 72 },
        { variant: 'treatment', bucket: 2, n: 1, sum: 5, sumSquares: 25 },
      ],
    })!;
    expect(s.cumulative.control).toEqual([4, 4, 5]);
    expect(s.cumulative.treatment).toEqual([null, 5, 5]);
    const chart = metricLineChart('m', s)!;
    expect(chart.mermaid.split('\n')[1]).toBe('xychart-beta');
    expect(chart.mermaid).toContain('  line [4.000, 4.000, 5.000]');
    // an empty leading bucket takes the first known value (xychart needs a number per label)
    expect(chart.mermaid).toContain('  line [5.000, 5.000, 5.000]');
    // control has a band (≥ 2 units), treatment (1 unit) has none; colours are named in the legend
    expect(chart.legend).toEqual(['blue: control (light blue: 95% band)', 'orange: treatment']);
    expect(chart.mermaid.split('\n')[0]).toContain('"plotColorPalette": "#1f77b4, #aec7e8, #aec7e8, #ff7f0e"');
  });

  it('similarity histogram is a bar xychart with one bar per bin', () => {
    const m = similarityHistogram('sim', [0, 0, 0, 0, 0, 0, 1, 2, 10, 30]);
    expect(m).toContain('bar [0, 0, 0, 0, 0, 0, 1, 2, 10, 30]');
    expect(m).toContain('y-axis "pairs" 0 --> 30');
    expect(m).toContain('"0.9–1.0"');
  });

  it('markdown has the decision first and a mermaid block; json round-trips; text has no mermaid', () => {
    const rollout = {
      kind: 'ModelRollout',
      flag: 'r',
      model: 'chat',
      to: 'snap-b',
      percent: 5,
      stages: [1, 5, 25, 100],
      killed: false,
      unit: 'userId',
      shadow: { dataset: 'd', sampleRate: 0.1, gate: { minAvgSimilarity: 0.9, minMinSimilarity: 0.7 } },
    } as ModelRolloutResource;
    const a = analyzeShadow(rollout, {
      summary: {
        pairs: 120,
        scored: 120,
        errors: 0,
        invalid: 0,
        atOrBelowMin: 0,
        avg: 0.95,
        min: 0.8,
        p10: 0.9,
        p50: 0.96,
      },
      histogram: [0, 0, 0, 0, 0, 0, 0, 0, 20, 100],
      worst: [
        { timeMs: 0, unitKey: 'u1', requestId: null, similarity: 0.8, primaryOutput: 'a | b', candidateOutput: 'c' },
      ],
    });
    const md = renderAnalysis(a, 'markdown');
    expect(md.split('\n')[0]).toBe('### Shadow `r` (chat → snap-b): **ready to switch**');
    expect(md).toContain('```mermaid\nxychart-beta');
    expect(md).toContain('a \\| b'); // table cells are escaped
    expect(JSON.parse(renderAnalysis(a, 'json'))).toEqual(JSON.parse(JSON.stringify(a)));
    expect(renderAnalysis(a, 'text')).not.toContain('mermaid');
  });
});
