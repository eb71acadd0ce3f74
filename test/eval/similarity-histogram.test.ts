import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { buildReport, renderMarkdown, type ShadowResult, type ShadowRun } from '../../src/eval/index.ts';
import { histogramMarkdown, similarityHistogram, sparkline } from '../../src/eval/report/similarity-histogram.ts';
import { loadReportValidator } from '../../src/github/report-artifact.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('similarityHistogram', () => {
  it('puts each value in [i/n, (i+1)/n) and 1.0 in the last bin', () => {
    const h = similarityHistogram([0, 0.0999, 0.1, 0.3, 0.7, 0.9, 0.95, 1]);
    expect(h.counts).toEqual([2, 1, 0, 1, 0, 0, 0, 1, 0, 3]);
    expect(h.outOfRange).toBe(0);
  });

  it('counts NaN, infinities and scores outside [0, 1] apart, never in a bin', () => {
    const h = similarityHistogram([Number.NaN, Infinity, -Infinity, -0.01, 1.5, 1.0000001, 0.5]);
    expect(h.outOfRange).toBe(6);
    expect(h.counts).toEqual([0, 0, 0, 0, 0, 1, 0, 0, 0, 0]);
  });

  it('is all zeros for empty input, with any bin count', () => {
    expect(similarityHistogram([])).toEqual({ counts: new Array(10).fill(0), outOfRange: 0 });
    expect(similarityHistogram([1], 4).counts).toEqual([0, 0, 0, 1]);
    expect(() => similarityHistogram([0.5], 0)).toThrow(RangeError);
    expect(() => similarityHistogram([0.5], 2.5)).toThrow(RangeError);
  });
});

describe('sparkline', () => {
  it('scales to the fullest bin and keeps a lone outlier visible', () => {
    expect(sparkline([0, 1, 4, 8])).toBe('·▁▄█');
    expect(sparkline([1, 0, 0, 1000])).toBe('▁··█');
    expect(sparkline([0, 0])).toBe('··');
  });
});

describe('histogramMarkdown', () => {
  it('prints bin edges (last closed) and counts in a collapsed table', () => {
    const md = histogramMarkdown('t', similarityHistogram([0.05, 1, 1, Number.NaN]), 2, true).join('\n');
    expect(md).toContain('- t: cosine `▄········█` over [0, 1] · 3 pairs · 2 failed calls · 1 out of range');
    expect(md).toContain('| [0.0, 0.1) | 1 |');
    expect(md).toContain('| [0.9, 1.0] | 2 |');
    expect(md).toContain('<details>');
  });

  it('drops the table on request and says when nothing was scored', () => {
    expect(histogramMarkdown('t', similarityHistogram([0.5]), undefined, false)).toEqual([
      '- t: cosine `·····█····` over [0, 1] · 1 pair · 0 out of range',
    ]);
    expect(histogramMarkdown('t', similarityHistogram([]), 4, true)).toEqual([
      '- t: no pair scored · 4 failed calls · 0 out of range',
    ]);
  });
});

function comparison(id: string, cosines: number[], extra: Partial<ShadowResult> = {}): ShadowResult {
  const pairs = cosines.map((c, i) => ({ rowId: `r${i}`, input: 'in', base: 'b', head: 'h', cosine: c, lexical: 0.5 }));
  const s = { avg: 0.9, min: 0.5, p10: 0.6 };
  return {
    id,
    kind: 'model-rollout',
    title: `title ${id}`,
    dataset: 'd',
    base: 'a',
    head: 'b',
    gate: { minAvgSimilarity: 0.9, minMinSimilarity: 0.7 },
    blocking: false,
    count: pairs.length,
    cosine: s,
    lexical: s,
    passed: false,
    divergent: [],
    pairs,
    problems: [],
    failed: 0,
    ...extra,
  };
}

describe('report with shadow histograms', () => {
  const shadow: ShadowRun = {
    kind: 'switchyard.shadow-run',
    format: 1,
    offline: true,
    endpoint: 'offline',
    base: 'main',
    embeddingModel: 'e',
    durationMs: 1,
    comparisons: [comparison('a', [0.97, 0.98, 1, 0.2, Number.NaN, 1.5], { failed: 3 }), comparison('empty', [])],
  };
  const report = buildReport({
    project: 'p',
    base: 'main',
    commit: null,
    changes: [],
    evalRuns: [],
    shadow,
    findings: { errors: [], warnings: [] },
    bundles: [],
    plan: { targets: [], shadow: [] },
  });

  it('carries every pair in report.json and validates against the schema', async () => {
    const [a, empty] = report.shadow.comparisons;
    expect(a?.histogram).toEqual({ counts: [0, 0, 1, 0, 0, 0, 0, 0, 0, 3], outOfRange: 2 });
    expect(a?.failed).toBe(3);
    expect(empty?.histogram?.counts.every((c) => c === 0)).toBe(true);
    const validate = await loadReportValidator(root);
    // A NaN cannot be in JSON: validate what the comment job would read.
    expect(validate(JSON.parse(JSON.stringify(report)))).toEqual([]);
    expect(
      validate(
        JSON.parse(
          JSON.stringify({
            ...report,
            shadow: { ...report.shadow, comparisons: [{ ...a, histogram: { counts: [-1], outOfRange: 0 } }] },
          }),
        ),
      ),
    ).not.toEqual([]);
  });

  it('renders the histogram with failed and out-of-range counts, none for no dataset', () => {
    const md = renderMarkdown(report);
    expect(md).toContain('- title a: cosine `··▃······█` over [0, 1] · 4 pairs · 3 failed calls · 2 out of range');
    expect(md).toContain('| ➖ | title empty | no dataset |');
    expect(md).not.toContain('- title empty:');
  });

  it('still renders a report written before the histogram existed', () => {
    const old = {
      ...report,
      shadow: {
        ...report.shadow,
        comparisons: report.shadow.comparisons.map(({ histogram: _h, failed: _f, ...c }) => c),
      },
    };
    const md = renderMarkdown(old);
    expect(md).toContain('title a');
    expect(md).not.toContain('Cosine of every pair');
  });
});
