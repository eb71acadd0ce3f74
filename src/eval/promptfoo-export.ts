/**
 * An eval run in promptfoo's own output format (`promptfoo eval -o out.json`, results version 3),
 * so `promptfoo import <file>` followed by `promptfoo view` browses Switchyard's results locally.
 * Cached cases are included like fresh ones (`response.cached: true`): the file shows the whole run.
 * One promptfoo "prompt" per target; test indexes follow the case order. Pure.
 */
import { contentKey } from './content.ts';
import { statusOf, type EvalRun } from './results.ts';

/** promptfoo's `ResultFailureReason`: 0 none, 1 an assertion said no, 2 error. */
const REASON = { pass: 0, fail: 1, error: 2 } as const;

export function toPromptfooResults(run: EvalRun, timestamp: string) {
  const targets = run.targets;
  const promptIdx = new Map(targets.map((t, i) => [t.id, i]));
  const prompts = targets.map((t) => {
    const mine = run.cases.filter((c) => c.target === t.id);
    const tokens = mine.reduce((n, c) => n + (c.tokens?.total ?? 0), 0);
    return {
      raw: t.id,
      label: `${t.prompt} v${t.version}${t.side === 'base' ? ' (base)' : ''}`,
      provider: `openai:chat:${t.snapshot}`,
      metrics: {
        score: mine.reduce((n, c) => n + c.score, 0),
        testPassCount: mine.filter((c) => statusOf(c) === 'pass').length,
        testFailCount: mine.filter((c) => statusOf(c) === 'fail').length,
        testErrorCount: mine.filter((c) => statusOf(c) === 'error').length,
        assertPassCount: mine.reduce((n, c) => n + c.assertions.filter((a) => a.pass).length, 0),
        assertFailCount: mine.reduce((n, c) => n + c.assertions.filter((a) => !a.pass).length, 0),
        totalLatencyMs: mine.reduce((n, c) => n + (c.latencyMs ?? 0), 0),
        tokenUsage: {
          total: tokens,
          prompt: mine.reduce((n, c) => n + (c.tokens?.prompt ?? 0), 0),
          completion: mine.reduce((n, c) => n + (c.tokens?.completion ?? 0), 0),
          cached: 0,
          numRequests: mine.length,
        },
        namedScores: {},
        namedScoresCount: {},
        cost: mine.reduce((n, c) => n + (c.cost ?? 0), 0),
      },
    };
  });
  const cases = [...run.cases];
  const results = cases.map((c, testIdx) => {
    const status = statusOf(c);
    const t = targets.find((x) => x.id === c.target);
    return {
      id: contentKey({ run: run.shard, case: c.id }).slice(0, 32),
      promptIdx: promptIdx.get(c.target) ?? 0,
      testIdx,
      promptId: contentKey(c.target).slice(0, 16),
      testCase: {
        description: `${c.target} — ${c.description}`,
        vars: {},
        assert: c.assertions.map((a) => ({ type: a.type })),
      },
      prompt: { raw: c.target, label: t ? `${t.prompt} v${t.version}` : c.target },
      provider: { id: `openai:chat:${t?.snapshot ?? 'unknown'}`, label: '' },
      vars: {},
      response: { output: c.output, cached: c.cached, tokenUsage: c.tokens ?? {} },
      success: status === 'pass',
      score: c.score,
      latencyMs: c.latencyMs ?? 0,
      cost: c.cost ?? 0,
      error: c.error,
      failureReason: REASON[status],
      gradingResult: {
        pass: status === 'pass',
        score: c.score,
        reason:
          status === 'error'
            ? (c.error ?? '')
            : c.assertions
                .filter((a) => !a.pass)
                .map((a) => a.reason)
                .join('; ') || 'All assertions passed',
        componentResults: c.assertions.map((a) => ({
          pass: a.pass,
          score: a.score,
          reason: a.reason,
          assertion: { type: a.type },
        })),
      },
      namedScores: {},
      metadata: { switchyardCase: c.id, line: c.line ?? null, ...(c.file === undefined ? {} : { file: c.file }) },
    };
  });
  const stats = {
    successes: results.filter((r) => r.failureReason === 0).length,
    failures: results.filter((r) => r.failureReason === 1).length,
    errors: results.filter((r) => r.failureReason === 2).length,
    tokenUsage: {
      total: prompts.reduce((n, p) => n + p.metrics.tokenUsage.total, 0),
      prompt: 0,
      completion: 0,
      cached: 0,
      numRequests: run.stats.modelCalls,
    },
    durationMs: run.durationMs,
  };
  return {
    evalId: `eval-switchyard-${contentKey({ targets: targets.map((t) => t.id), cases: run.cases.map((c) => [c.key, c.status]) }).slice(0, 12)}`,
    results: { version: 3, timestamp, prompts, results, stats },
    config: { description: `Switchyard eval${run.base ? ` against ${run.base}` : ''} (${run.endpoint})` },
    shareableUrl: null,
  };
}
