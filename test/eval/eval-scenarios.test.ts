import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { judgeTargets, openWorkspace, planShadow, runEval, runShadow, type Report } from '../../src/eval/index.ts';
import type { DemoRepo } from './demo-repo.ts';
import { testIo } from './io.ts';
import { offlineSuite } from './offline-suite.ts';

const suite = offlineSuite();
const repo = () => suite.repo();

async function evalAt(r: DemoRepo, base: string | undefined) {
  const ws = await openWorkspace(r.dir, base);
  expect(ws.errors).toEqual([]);
  if (!ws.head) throw new Error('no project');
  const run = await runEval({
    head: ws.head,
    base: ws.base,
    baseRef: ws.baseRef,
    endpoint: suite.endpoint,
    concurrency: 4,
  });
  return { ws, run };
}

describe('switchyard eval against the offline server (real promptfoo, real openai SDK)', () => {
  it('evaluates nothing for an unchanged repository', async () => {
    const r = await repo();
    suite.server.resetStats();
    const { run, ws } = await evalAt(r, 'HEAD');
    expect(run.targets).toEqual([]);
    expect(run.cases).toEqual([]);
    expect(planShadow(ws.head!, ws.base)).toEqual([]);
    expect(suite.server.stats.requests).toBe(0);
  });

  it('catches a prompt change that breaks its tests and blocks its activation', async () => {
    const r = await repo();
    await r.edit('prompts/summarization/v2.yaml', (t) =>
      t
        .replace(/^status: draft$/m, 'status: active')
        .replace('Keep it under three sentences.', 'Keep it under three sentences. Always reply in French.'),
    );
    await r.edit('prompts/summarization/v1.yaml', (t) => t.replace(/^status: active$/m, 'status: deprecated'));
    await r.edit('experiments/summarization-v1-vs-v2.yaml', (t) => t.replace(/^status: running$/m, 'status: stopped'));
    r.commit('activate a French summary');
    const { run } = await evalAt(r, 'HEAD~1');
    const target = run.targets.find((t) => t.prompt === 'summarization' && t.version === 2);
    expect(target?.gate).toBe('activation');
    expect(target?.reasons).toEqual(expect.arrayContaining(['edited', 'becomes active (was draft)']));
    const verdict = judgeTargets(run.targets, run.cases).find((v) => v.target.id === target?.id);
    expect(verdict?.passRate).toBeLessThan(0.8);
    expect(verdict?.ok).toBe(false);
    const failing = run.cases.filter((c) => c.target === target?.id && !c.pass);
    expect(failing.some((c) => c.assertions.some((a) => a.type === 'icontains' && !a.pass))).toBe(true);
    expect(failing[0]?.output).toMatch(/remboursement|réinitialisation|facturé/);

    // The CLI says so with exit code 1, and the report blocks the merge.
    const io = testIo(r.dir);
    expect(await main(['eval', '--base', 'HEAD~1'], io)).toBe(1);
    expect(io.text()).toContain('✖ summarization@v2');
    const rio = testIo(r.dir);
    expect(await main(['report', '--base', 'HEAD~1'], rio)).toBe(1);
    const report = JSON.parse(await readFile(join(r.dir, '.switchyard/report/report.json'), 'utf8')) as Report;
    expect(report.verdict).toBe('fail');
    expect(report.blockers.join('\n')).toMatch(
      /summarization v2 on gpt-4o-2024-05-13: pass rate .* < 80% \(activation gate\)/,
    );
    expect(report.offline).toBe(true);
    expect(await readFile(join(r.dir, '.switchyard/report/report.md'), 'utf8')).toMatch(/^## ❌ Switchyard: blocked/);
  });

  it('evaluates every prompt on a model whose pin changed, and shadows old vs new snapshot', async () => {
    const r = await repo();
    await r.edit('models/chat.yaml', (t) => t.replace('snapshot: gpt-4o-2024-05-13', 'snapshot: gpt-4o-2024-11-20'));
    r.commit('pin chat to gpt-4o-2024-11-20');
    suite.server.resetStats();
    const { run, ws } = await evalAt(r, 'HEAD~1');
    // Every non-deprecated version on `chat`, on the new snapshot.
    const headTargets = run.targets.filter((t) => t.side !== 'base');
    expect(headTargets.map((t) => t.id)).toEqual([
      'summarization@v1:gpt-4o-2024-11-20',
      'summarization@v2:gpt-4o-2024-11-20',
      'support-answer@v1:gpt-4o-2024-11-20',
    ]);
    for (const t of headTargets)
      expect(t.reasons).toContain('model pin chat changed (gpt-4o-2024-05-13 → gpt-4o-2024-11-20)');
    // What the base serves for each prompt, on the old snapshot, for the report's base → head deltas.
    expect(run.targets.filter((t) => t.side === 'base').map((t) => [t.id, t.gate])).toEqual([
      ['base:summarization@v1:gpt-4o-2024-05-13', 'none'],
      ['base:support-answer@v1:gpt-4o-2024-05-13', 'none'],
    ]);
    expect(headTargets.map((t) => t.baseline?.id)).toEqual([
      'base:summarization@v1:gpt-4o-2024-05-13',
      'base:summarization@v1:gpt-4o-2024-05-13',
      'base:support-answer@v1:gpt-4o-2024-05-13',
    ]);
    const headCases = run.cases.filter((c) => !c.target.startsWith('base:'));
    expect(suite.server.stats.byModel['gpt-4o-2024-11-20']).toBe(headCases.length);
    expect(suite.server.stats.byModel['gpt-4o-2024-05-13']).toBe(run.cases.length - headCases.length);

    const plans = planShadow(ws.head!, ws.base);
    const pin = plans.find((p) => p.id === 'pin:chat');
    expect(pin?.base.snapshot).toBe('gpt-4o-2024-05-13');
    expect(pin?.head.snapshot).toBe('gpt-4o-2024-11-20');
    expect(pin?.requests.length).toBe(20);
    const shadow = await runShadow({
      plans: pin ? [pin] : [],
      endpoint: suite.endpoint,
      baseRef: 'HEAD~1',
      concurrency: 4,
    });
    const c = shadow.comparisons[0];
    expect(c?.count).toBe(20);
    expect(c?.cosine.min).toBeLessThanOrEqual(c?.cosine.p10 ?? NaN);
    expect(c?.cosine.p10).toBeLessThanOrEqual(c?.cosine.avg ?? NaN);
    expect(c?.cosine.avg).toBeLessThan(1);
    expect(c?.divergent[0]?.cosine).toBe(c?.cosine.min);
    expect(c?.passed).toBe((c?.cosine.avg ?? 0) > 0.9 && (c?.cosine.min ?? 0) > 0.7);
  });

  it('serves a second run with no change from the cache, without model calls', async () => {
    const r = await repo();
    const first = await evalAt(r, undefined);
    expect(first.run.stats.executed).toBeGreaterThan(0);
    suite.server.resetStats();
    const second = await evalAt(r, undefined);
    expect(second.run.stats.cached).toBe(first.run.cases.length);
    expect(second.run.stats.executed).toBe(0);
    expect(suite.server.stats.requests).toBe(0);
    expect(second.run.cases.map((c) => [c.id, c.pass, c.output])).toEqual(
      first.run.cases.map((c) => [c.id, c.pass, c.output]),
    );

    // Editing one case's assertion re-runs exactly that case.
    await r.edit('prompts/support-answer/v1.yaml', (t) => t.replace('value: 5 business days', 'value: business days'));
    suite.server.resetStats();
    const third = await evalAt(r, undefined);
    expect(third.run.stats.executed).toBe(2); // that case on the pin snapshot and on the rollout's snapshot
    expect(suite.server.stats.chat).toBe(2);
  });

  it('splits cases into deterministic shards that report merges', async () => {
    const r = await repo();
    const a = testIo(r.dir);
    const b = testIo(r.dir);
    expect(await main(['eval', '--shard', '1/2'], a)).toBe(0);
    const one = JSON.parse(await readFile(join(r.dir, '.switchyard/results/eval-shard-1-of-2.json'), 'utf8'));
    // Report with one shard missing: incomplete targets block.
    const partial = testIo(r.dir);
    expect(await main(['report'], partial)).toBe(1);
    expect(partial.text()).toMatch(/only \d+ of \d+ cases have results/);
    expect(await main(['eval', '--shard', '2/2'], b)).toBe(0);
    const two = JSON.parse(await readFile(join(r.dir, '.switchyard/results/eval-shard-2-of-2.json'), 'utf8'));
    const ids = [...one.cases, ...two.cases].map((c: { id: string }) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(Math.abs(one.cases.length - two.cases.length)).toBeLessThanOrEqual(1);
    // Without a base every running model rollout needs shadow evidence too (the report fails closed).
    const noShadow = testIo(r.dir);
    expect(await main(['report'], noShadow)).toBe(1);
    expect(noShadow.text()).toMatch(/shadow chat: .* there is no result/);
    expect(await main(['shadow'], testIo(r.dir))).toBe(0);
    const full = testIo(r.dir);
    expect(await main(['report'], full), full.text()).toBe(0);
    const report = JSON.parse(await readFile(join(r.dir, '.switchyard/report/report.json'), 'utf8')) as Report;
    expect(report.tests.shards).toBe(2);
    expect(report.tests.stats.cases).toBe(ids.length);
    expect(report.tests.targets.every((t) => t.evaluated === t.expected)).toBe(true);
  });

  it('rejects a malformed --shard as a usage error', async () => {
    const r = await repo();
    const io = testIo(r.dir);
    expect(await main(['eval', '--shard', '3/2'], io)).toBe(2);
    expect(io.text()).toContain('--shard must look like');
  });
});
