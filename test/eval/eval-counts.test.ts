/**
 * Honest counts and caching of `switchyard eval` (real promptfoo, the offline server counting every
 * request): a failed assertion is a failure, a provider failure is an error, failures are cached like
 * passes, errors are retried with backoff and never cached.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { main } from '../../src/cli/main.ts';
import { openWorkspace, runEval, type RunEvalOptions } from '../../src/eval/index.ts';
import { caseAnnotations } from '../../src/github/eval-annotations.ts';
import type { DemoRepo } from './demo-repo.ts';
import { testIo } from './io.ts';
import { offlineSuite } from './offline-suite.ts';

const suite = offlineSuite();
/** The demo with summarization v2 told to answer in French: 3 of its 4 cases fail their assertions. */
async function frenchRepo(): Promise<DemoRepo> {
  const r = await suite.repo();
  await r.edit('prompts/summarization/v2.yaml', (t) =>
    t.replace('Keep it under three sentences.', 'Keep it under three sentences. Always reply in French.'),
  );
  return r;
}

async function evalAll(r: DemoRepo, extra: Partial<RunEvalOptions> = {}) {
  const ws = await openWorkspace(r.dir, undefined);
  if (!ws.head) throw new Error('no project');
  return runEval({
    head: ws.head,
    base: undefined,
    baseRef: null,
    endpoint: suite.endpoint,
    concurrency: 4,
    backoffMs: 5,
    ...extra,
  });
}

describe('eval counts: passed, failed, errored', () => {
  it('counts a failed assertion as failed (not errored) and lists every failed assertion', async () => {
    const r = await frenchRepo();
    const run = await evalAll(r);
    expect(run.stats).toMatchObject({ cases: 14, passed: 11, failed: 3, errors: 0 });
    const failing = run.cases.filter((c) => c.status === 'fail');
    expect(failing.map((c) => c.id)).toEqual([
      'summarization@v2:gpt-4o-2024-05-13#0',
      'summarization@v2:gpt-4o-2024-05-13#2',
      'summarization@v2:gpt-4o-2024-05-13#3',
    ]);
    for (const c of failing) {
      expect(c.error).toBeNull();
      expect(c.pass).toBe(false);
    }
    // Case 0 has two assertions and both fail: both are listed, each with its own reason.
    const first = failing[0];
    expect(first?.assertions.map((a) => [a.type, a.pass, a.reason])).toEqual([
      ['icontains', false, 'Expected output to contain "refund"'],
      ['icontains', false, 'Expected output to contain "charged twice"'],
    ]);
    // The YAML line of each case is known (for annotations).
    expect(first?.line).toBe(20);
    expect(first?.tokens?.total).toBeGreaterThan(0);
    expect(first?.latencyMs).toBeGreaterThanOrEqual(0);

    // Each failing case is annotated on its YAML line with every failed assertion.
    const annotations = caseAnnotations(run);
    expect(annotations.map((a) => [a.level, a.properties.file, a.properties.startLine])).toEqual([
      ['warning', 'prompts/summarization/v2.yaml', 20],
      ['warning', 'prompts/summarization/v2.yaml', 36],
      ['warning', 'prompts/summarization/v2.yaml', 42],
    ]);
    expect(annotations[0]?.message).toBe(
      'refund request keeps the key facts failed on gpt-4o-2024-05-13\n- icontains: Expected output to contain "refund"\n- icontains: Expected output to contain "charged twice"',
    );

    // The CLI line says the same.
    const io = testIo(r.dir);
    await main(['eval', '--no-cache'], io);
    expect(io.text()).toContain('14 cases: 11 passed, 3 failed, 0 errored');
    expect(io.text()).toContain('summarization@v2:gpt-4o-2024-05-13 1/4 passed, 3 failed, 0 errored');
  });

  it('counts a provider failure as errored, retries it and never caches it', async () => {
    const r = await frenchRepo();
    // Every chat request fails: no retry can help.
    suite.server.resetStats();
    suite.server.failNextChats(1_000);
    const broken = await evalAll(r, { retries: 1 });
    suite.server.failNextChats(0);
    expect(broken.stats).toMatchObject({
      cases: 14,
      passed: 0,
      failed: 0,
      errors: 14,
      executed: 14,
      notRun: 0,
      modelCalls: 28,
    });
    for (const c of broken.cases) {
      expect(c.status).toBe('error');
      expect(c.attempts).toBe(2);
      expect(c.error).toMatch(/500|injected/);
    }
    expect(suite.server.stats.chat).toBe(28);

    // Nothing was cached: the next run asks the model for every case again and gets verdicts.
    suite.server.resetStats();
    const healed = await evalAll(r);
    expect(healed.stats).toMatchObject({ cases: 14, executed: 14, cached: 0, passed: 11, failed: 3, errors: 0 });
    expect(suite.server.stats.chat).toBe(14);
  });

  it('retries a transient provider failure with backoff and caches the verdict it then gets', async () => {
    const r = await frenchRepo();
    suite.server.resetStats();
    suite.server.failNextChats(2);
    const run = await evalAll(r, { retries: 2 });
    expect(run.stats).toMatchObject({ cases: 14, passed: 11, failed: 3, errors: 0, modelCalls: 16 });
    expect(run.cases.filter((c) => c.attempts === 2)).toHaveLength(2);
    expect(suite.server.stats.errors).toBe(2);
  });

  it('runs cost (priced from the model YAML) and latency assertions', async () => {
    const r = await suite.repo();
    await r.edit('prompts/summarization/v2.yaml', (t) =>
      t.replace(
        '        - type: icontains\n          value: password reset',
        '        - type: icontains\n          value: password reset\n        - type: cost\n          threshold: 0.0000001\n        - type: latency\n          threshold: 60000',
      ),
    );
    const run = await evalAll(r);
    const c = run.cases.find((x) => x.id === 'summarization@v2:gpt-4o-2024-05-13#2');
    // gpt-4o-2024-05-13 costs $5 / $15 per 1M tokens in models/chat.yaml.
    expect(c?.cost).toBeCloseTo(((c?.tokens?.prompt ?? 0) * 5 + (c?.tokens?.completion ?? 0) * 15) / 1e6, 12);
    expect(c?.status).toBe('fail');
    expect(c?.assertions.map((a) => [a.type, a.pass])).toEqual([
      ['icontains', true],
      ['cost', false],
      ['latency', true],
    ]);
    expect(c?.assertions[1]?.reason).toMatch(/cost/i);
  });

  it('caches failed cases like passed ones: a re-run with no change makes zero model requests', async () => {
    const r = await frenchRepo();
    const first = await evalAll(r);
    expect(first.stats).toMatchObject({ executed: 14, failed: 3 });
    suite.server.resetStats();
    const second = await evalAll(r);
    expect(suite.server.stats.requests).toBe(0);
    expect(second.stats).toMatchObject({
      cases: 14,
      cached: 14,
      executed: 0,
      notRun: 0,
      modelCalls: 0,
      passed: 11,
      failed: 3,
      errors: 0,
    });
    expect(
      second.cases.filter((c) => c.status === 'fail').map((c) => c.assertions.filter((a) => !a.pass).length),
    ).toEqual([2, 1, 1]);

    // The CLI run over the same cache agrees.
    suite.server.resetStats();
    const io = testIo(r.dir);
    expect(await main(['eval'], io)).toBe(0);
    expect(io.text()).toContain('14 from cache, 0 run, 0 call(s) of the models under test');
    expect(suite.server.stats.requests).toBe(0);
  });
});

describe('eval annotations of cases in a tests file', () => {
  it('point at the case in the tests file, not at the tests.cases line', async () => {
    const r = await frenchRepo();
    const V2 = 'prompts/summarization/v2.yaml';
    const text = await r.read(V2);
    const start = text.indexOf('  cases:\n');
    const cases = text
      .slice(start + '  cases:\n'.length)
      .split('\n')
      .map((l) => l.slice(4))
      .join('\n');
    await writeFile(join(r.dir, V2), `${text.slice(0, start)}  cases: file://evals/summarization.yaml\n`);
    await mkdir(join(r.dir, 'evals'));
    await writeFile(join(r.dir, 'evals/summarization.yaml'), `# summarization v2's cases\n${cases}`);
    const run = await evalAll(r);
    expect(run.stats).toMatchObject({ cases: 14, passed: 11, failed: 3, errors: 0 });
    const annotations = caseAnnotations(run);
    // Lines of `- description: …` in the file (the comment is line 1).
    const lineOf = (description: string) =>
      `# summarization v2's cases\n${cases}`.split('\n').findIndex((l) => l === `- description: ${description}`) + 1;
    expect(annotations.map((a) => [a.properties.file, a.properties.startLine])).toEqual([
      ['evals/summarization.yaml', lineOf('refund request keeps the key facts')],
      ['evals/summarization.yaml', lineOf('password reset')],
      ['evals/summarization.yaml', lineOf('stays close to the reference summary')],
    ]);
    expect(lineOf('password reset')).toBeGreaterThan(1);
    // The report's failures say the same file and line.
    const failing = run.cases.filter((c) => c.status === 'fail');
    expect(failing.map((c) => c.file)).toEqual(Array(3).fill('evals/summarization.yaml'));

    // A JSON Lines file: line n is the n-th case.
    const rows = parse(cases) as unknown[];
    await writeFile(join(r.dir, V2), `${text.slice(0, start)}  cases: file://evals/summarization.jsonl\n`);
    await writeFile(join(r.dir, 'evals/summarization.jsonl'), `${rows.map((c) => JSON.stringify(c)).join('\n')}\n`);
    const jsonl = caseAnnotations(await evalAll(r));
    expect(jsonl.map((a) => [a.properties.file, a.properties.startLine])).toEqual([
      ['evals/summarization.jsonl', 1],
      ['evals/summarization.jsonl', 3],
      ['evals/summarization.jsonl', 4],
    ]);
  });
});

describe('eval counts: what ran', () => {
  it('does not count a case that errored before any call as executed', async () => {
    const r = await suite.repo();
    // The password-reset ticket comes from a file that does not exist: that case cannot run.
    await r.edit('prompts/summarization/v2.yaml', (t) =>
      t.replace(/ticket: The password reset email[^\n]*/, 'ticket: file://fixtures/missing.txt'),
    );
    suite.server.resetStats();
    const run = await evalAll(r, { cache: null });
    const unrun = run.cases.find((c) => c.id === 'summarization@v2:gpt-4o-2024-05-13#2');
    expect(unrun).toMatchObject({ status: 'error', attempts: 0, cached: false });
    expect(unrun?.error).toMatch(/^cannot run: .*missing\.txt/);
    expect(run.stats).toMatchObject({ cases: 14, executed: 13, cached: 0, notRun: 1, errors: 1, modelCalls: 13 });
    // modelCalls counts the calls of the models under test, and only those.
    expect(suite.server.stats.chat).toBe(13);
  });
});
