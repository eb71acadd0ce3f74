/**
 * The report fails closed: evidence the change requires (planned eval targets with a gate, blocking
 * shadow comparisons) but that no stage produced is a blocker, never a silent pass.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import {
  buildReport,
  openWorkspace,
  planReport,
  type EvalRun,
  type Report,
  type ReportPlan,
  type ShadowRun,
} from '../../src/eval/index.ts';
import { makeDemoRepo, type DemoRepo } from './demo-repo.ts';
import { testIo } from './io.ts';

const repos: DemoRepo[] = [];
afterAll(async () => {
  await Promise.all(repos.map((r) => r.cleanup()));
});

const TARGET = 'support-answer@v1:gpt-4o-2024-08-06';

function run(gate: 'activation' | 'none'): EvalRun {
  return {
    kind: 'switchyard.eval-run',
    format: 1,
    offline: true,
    endpoint: 'offline',
    base: 'main',
    shard: { index: 1, count: 1 },
    targets: [
      {
        id: TARGET,
        prompt: 'support-answer',
        version: 1,
        status: 'active',
        model: 'chat',
        snapshot: 'gpt-4o-2024-08-06',
        file: 'prompts/support-answer/v1.yaml',
        reasons: ['r'],
        gate,
        minPassRate: 0.8,
        caseCount: 1,
      },
    ],
    cases: [
      {
        id: `${TARGET}#0`,
        target: TARGET,
        index: 0,
        description: 'd',
        key: 'k',
        status: 'fail',
        pass: false,
        score: 0,
        error: null,
        output: 'o',
        assertions: [],
        cached: false,
        tokens: null,
        latencyMs: null,
        cost: null,
        attempts: 1,
      },
    ],
    stats: { cases: 1, executed: 1, cached: 0, passed: 0, failed: 1, errors: 0, notRun: 0, modelCalls: 1 },
    durationMs: 1,
  };
}

function shadowRun(blocking: boolean, passed: boolean): ShadowRun {
  const summary = { avg: 0.5, min: 0.5, p10: 0.5 };
  return {
    kind: 'switchyard.shadow-run',
    format: 1,
    offline: true,
    endpoint: 'offline',
    base: 'main',
    embeddingModel: 'e',
    durationMs: 1,
    comparisons: [
      {
        id: 'rollout:r',
        kind: 'model-rollout',
        title: 'chat: a → b',
        dataset: 'd',
        base: 'a',
        head: 'b',
        gate: { minAvgSimilarity: 0.9, minMinSimilarity: 0.7 },
        blocking,
        count: 1,
        cosine: summary,
        lexical: summary,
        passed,
        divergent: [],
        pairs: [],
        problems: [],
      },
    ],
  };
}

function report(plan: ReportPlan, evalRuns: EvalRun[], shadow: ShadowRun | undefined): Report {
  return buildReport({
    project: 'p',
    base: 'main',
    commit: null,
    changes: [],
    evalRuns,
    shadow,
    findings: { errors: [], warnings: [] },
    bundles: [],
    plan,
  });
}

describe('report against its plan', () => {
  const plan: ReportPlan = {
    targets: [{ id: TARGET, gate: 'none' }],
    shadow: [{ id: 'rollout:r', title: 'chat: a → b', blocking: true }],
  };

  it('blocks when a blocking shadow comparison has no result', () => {
    const r = report(plan, [run('none')], undefined);
    expect(r.verdict).toBe('fail');
    expect(r.blockers).toEqual([
      expect.stringMatching(
        /^E_SHADOW_MISSING shadow chat: a → b: the change requires this comparison but there is no result/,
      ),
    ]);
    // With the comparison present and passing, the same inputs pass.
    const ok = shadowRun(true, true);
    expect(report(plan, [run('none')], ok).verdict).toBe('pass');
  });

  it('does not block on a missing advisory (non-blocking) comparison', () => {
    const advisory: ReportPlan = { targets: [], shadow: [{ id: 'prompt:x', title: 'x: v1 → v2', blocking: false }] };
    expect(report(advisory, [run('none')], undefined).verdict).toBe('pass');
  });

  it('blocks when a gated eval target has no result, and ignores a missing ungated one', () => {
    const gated: ReportPlan = {
      targets: [
        { id: 'other@v1:gpt-4o-2024-08-06', gate: 'serving' },
        { id: 'draft@v2:gpt-4o-2024-08-06', gate: 'none' },
      ],
      shadow: [],
    };
    const r = report(gated, [run('none')], undefined);
    expect(r.blockers).toEqual([
      expect.stringMatching(
        /^E_EVAL_MISSING other@v1:gpt-4o-2024-08-06: the change requires this eval \(serving gate\) but there is no result/,
      ),
    ]);
  });

  it('a result file cannot relax what the plan gates', () => {
    // The shadow file says advisory and the eval file says ungated; the plan says both gate the change.
    const strict: ReportPlan = {
      targets: [{ id: TARGET, gate: 'activation' }],
      shadow: [{ id: 'rollout:r', title: 'chat: a → b', blocking: true }],
    };
    const r = report(strict, [run('none')], shadowRun(false, false));
    expect(r.verdict).toBe('fail');
    expect(r.blockers).toHaveLength(2);
    expect(r.blockers[0]).toMatch(/pass rate 0% < 80% \(activation gate\)/);
    expect(r.blockers[1]).toMatch(/^E_SHADOW_GATE shadow chat: a → b: similarity avg/);
  });

  it('blocks a PR raising a model rollout when shadow was not run (switchyard report)', async () => {
    const repo = await makeDemoRepo();
    repos.push(repo);
    await repo.edit('rollouts/chat-gpt-4o-2024-08-06.yaml', (t) => t.replace(/^percent: 5$/m, 'percent: 25'));
    repo.commit('rollout 5% → 25%');
    const ws = await openWorkspace(repo.dir, 'HEAD~1');
    expect(planReport(ws.head!, ws.base).shadow).toEqual([
      expect.objectContaining({ id: 'rollout:chat-gpt-4o-2024-08-06', blocking: true }),
    ]);

    const evalIo = testIo(repo.dir);
    expect(await main(['eval', '--base', 'HEAD~1'], evalIo), evalIo.text()).toBe(0);
    // shadow crashed / was skipped: no .switchyard/results/shadow.json
    const io = testIo(repo.dir);
    expect(await main(['report', '--base', 'HEAD~1'], io), io.text()).toBe(1);
    const written = JSON.parse(await readFile(join(repo.dir, '.switchyard/report/report.json'), 'utf8')) as Report;
    expect(written.verdict).toBe('fail');
    expect(written.tests.targets.every((t) => t.ok)).toBe(true);
    expect(written.blockers).toEqual([
      expect.stringMatching(
        /^E_SHADOW_MISSING shadow chat: gpt-4o-2024-05-13 → gpt-4o-2024-08-06 .*there is no result/,
      ),
    ]);
    expect(io.text()).toContain('blocked (1 blocker(s))');
  }, 120_000);
});
