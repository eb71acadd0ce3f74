import { describe, expect, it } from 'vitest';
import { buildReport, renderMarkdown, type EvalRun, type EvalTarget } from '../../src/eval/index.ts';

function bigRun(targets: number, casesPer: number): EvalRun {
  const ts: EvalTarget[] = [];
  const cases: EvalRun['cases'] = [];
  for (let t = 0; t < targets; t++) {
    const id = `prompt-${t}@v2:gpt-4o-2024-08-06`;
    ts.push({
      id,
      prompt: `prompt-${t}`,
      version: 2,
      status: 'active',
      model: 'chat',
      snapshot: 'gpt-4o-2024-08-06',
      file: `prompts/prompt-${t}/v2.yaml`,
      reasons: ['becomes active (was draft)'],
      gate: 'activation',
      minPassRate: 0.8,
      caseCount: casesPer,
    });
    for (let i = 0; i < casesPer; i++) {
      cases.push({
        id: `${id}#${i}`,
        target: id,
        index: i,
        description: `case ${i} | with a pipe`,
        key: 'k',
        status: i % 2 === 0 ? 'pass' : 'fail',
        pass: i % 2 === 0,
        score: 0,
        error: null,
        output: 'x'.repeat(2000),
        assertions: [{ type: 'icontains', pass: false, score: 0, reason: 'Expected output to contain "refund"' }],
        cached: false,
        tokens: null,
        latencyMs: null,
        cost: null,
        attempts: 1,
      });
    }
  }
  return {
    kind: 'switchyard.eval-run',
    format: 1,
    offline: true,
    endpoint: 'offline',
    base: 'main',
    shard: { index: 1, count: 1 },
    targets: ts,
    cases,
    stats: {
      cases: cases.length,
      executed: cases.length,
      cached: 0,
      passed: 0,
      failed: 0,
      errors: 0,
      notRun: 0,
      modelCalls: 0,
    },
    durationMs: 1,
  };
}

describe('report rendering', () => {
  it('stays under the comment limit with sensible truncation, verdict first', () => {
    const report = buildReport({
      project: 'p',
      base: 'main',
      commit: null,
      changes: [],
      evalRuns: [bigRun(300, 20)],
      shadow: undefined,
      findings: { errors: [], warnings: [] },
      bundles: [],
      plan: { targets: [], shadow: [] },
    });
    expect(report.verdict).toBe('fail');
    expect(report.blockers).toHaveLength(300); // every target at 50% < 80%
    const md = renderMarkdown(report);
    expect(md.length).toBeLessThanOrEqual(60_000);
    expect(md.startsWith('## ❌ Switchyard: blocked')).toBe(true);
    expect(md).toContain('more (see report.json)');
    expect(md).not.toContain('x'.repeat(500));
    // pipes in user text are escaped so tables stay intact
    expect(md).not.toMatch(/case \d \| with/);
  });

  it('renders everything when it fits', () => {
    const report = buildReport({
      project: 'p',
      base: null,
      commit: null,
      changes: [{ area: 'rollout', subject: 'r', text: '5% → 25% of new chat conversations get gpt-4o-2024-08-06' }],
      evalRuns: [bigRun(1, 4)],
      shadow: undefined,
      findings: { errors: [], warnings: [] },
      bundles: [],
      plan: { targets: [], shadow: [] },
    });
    const md = renderMarkdown(report);
    expect(md).toContain('- 5% → 25% of new chat conversations get gpt-4o-2024-08-06');
    expect(md).toContain('2/4 (50%)');
    expect(md).toContain('_Shadow eval did not run._');
  });

  it('says per model where answers came from when only some are offline', () => {
    const offline = 'Switchyard offline model server (deterministic test double on 127.0.0.1, not a real model)';
    const run: EvalRun = {
      ...bigRun(1, 2),
      offline: true,
      endpoint: offline,
      endpoints: {
        claude: 'Anthropic Messages API at https://api.anthropic.com',
        chat: `${offline}: OPENAI_API_KEY is not set`,
      },
    };
    const report = buildReport({
      project: 'p',
      base: null,
      commit: null,
      changes: [],
      evalRuns: [run],
      shadow: undefined,
      findings: { errors: [], warnings: [] },
      bundles: [],
      plan: { targets: [], shadow: [] },
    });
    expect(report.sources).toEqual({
      'model claude': 'Anthropic Messages API at https://api.anthropic.com',
      'model chat': `${offline}: OPENAI_API_KEY is not set`,
      'grading and embeddings': offline,
    });
    const md = renderMarkdown(report);
    expect(md).toContain('**Partly offline results.**');
    expect(md).toContain('- model claude: Anthropic Messages API at https://api.anthropic.com');
    expect(md).toContain(`- model chat: ${offline}: OPENAI_API_KEY is not set`);
  });
});
