import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import {
  affectedTargets,
  buildCases,
  judgeTargets,
  loadSideFiles,
  openCaseCache,
  openWorkspace,
  runEval,
  type Report,
} from '../../src/eval/index.ts';
import type { DemoRepo } from './demo-repo.ts';
import { testIo } from './io.ts';
import { offlineSuite } from './offline-suite.ts';

const suite = offlineSuite();

const V1 = 'prompts/summarization/v1.yaml';
const V2 = 'prompts/summarization/v2.yaml';
const REFUND =
  'I was charged twice for my annual plan on March 3rd and I would like a refund for the duplicate charge.';
const OTHER = 'The mobile app crashes when I open the settings page on my tablet.';

async function write(r: DemoRepo, path: string, text: string): Promise<void> {
  await mkdir(join(r.dir, path, '..'), { recursive: true });
  await writeFile(join(r.dir, path), text);
}

async function evalAt(r: DemoRepo, base: string, cacheDir: string) {
  const ws = await openWorkspace(r.dir, base);
  expect(ws.errors).toEqual([]);
  return runEval({
    head: ws.head!,
    base: ws.base,
    baseRef: ws.baseRef,
    endpoint: suite.endpoint,
    concurrency: 4,
    cache: openCaseCache(cacheDir),
  });
}

describe('file:// references on both sides of a change (real git, real promptfoo, offline server)', () => {
  it('reads the base side of a referenced vars file from the base commit', async () => {
    const r = await suite.repo();
    // The draft's refund case takes its ticket from a file; then a commit changes only that file.
    // (The same edit under the active v1 is refused: test/config/history.test.ts.)
    await r.edit(V2, (t) => t.replace(`ticket: ${REFUND}`, 'ticket: file://fixtures/refund-ticket.txt'));
    await write(r, 'fixtures/refund-ticket.txt', REFUND);
    r.commit('refund ticket from a file');
    await write(r, 'fixtures/refund-ticket.txt', OTHER);
    r.commit('a different ticket');

    const io = testIo(r.dir);
    await main(['eval', '--base', 'HEAD~1'], io);
    const rio = testIo(r.dir);
    await main(['report', '--base', 'HEAD~1'], rio);
    const report = JSON.parse(await readFile(join(r.dir, '.switchyard/report/report.json'), 'utf8')) as Report;
    const target = report.tests.targets.find((t) => t.prompt === 'summarization' && t.version === 2);
    expect(target?.reasons).toEqual(['a file its tests refer to (file://) changed']);
    // Read from the working tree, the base's v2 would equal the head's and v2 would not be a target
    // at all. The head runs the new ticket, so the refund case fails (v2 is a draft: no gate).
    expect(target?.baseline).toMatchObject({ version: 1, passed: 3, evaluated: 3 });
    expect(target).toMatchObject({ passed: 3, evaluated: 4, gate: 'none' });
    expect(target?.failures.map((f) => f.description)).toEqual(['refund request keeps the key facts']);
  });

  it('keys the cache on the contents of a tests file: unchanged hits, an edited case re-runs', async () => {
    const r = await suite.repo();
    const text = await r.read(V1);
    const start = text.indexOf('  cases:\n');
    const cases = text
      .slice(start + '  cases:\n'.length)
      .split('\n')
      .map((l) => l.slice(4))
      .join('\n');
    await writeFile(join(r.dir, V1), `${text.slice(0, start)}  cases: file://evals/summarization.yaml\n`);
    await write(r, 'evals/summarization.yaml', cases);
    r.commit('summarization v1 cases in a file');
    const cacheDir = join(r.dir, '.switchyard', 'test-cache');

    // Without a base every version with tests runs; the file's three cases are v1's cases.
    const first = await evalAt(r, 'HEAD', cacheDir);
    expect(first.targets).toEqual([]);
    const ws = await openWorkspace(r.dir, undefined);
    const all = await runEval({
      head: ws.head!,
      base: undefined,
      baseRef: null,
      endpoint: suite.endpoint,
      concurrency: 4,
      cache: openCaseCache(cacheDir),
    });
    // v1 runs on its pin's snapshot (and on the running rollout's); one snapshot is enough here.
    const v1 = (run: typeof all) => run.cases.filter((c) => c.target === 'summarization@v1:gpt-4o-2024-05-13');
    expect(v1(all).map((c) => [c.description, c.cached])).toEqual([
      ['refund request keeps the key facts', false],
      ['outage report mentions the outage', false],
      ['password reset', false],
    ]);

    // The file edited on a draft branch: v1 is active, so only a new version may carry new cases.
    await r.edit('evals/summarization.yaml', (t) => t.replace('value: "502"', 'value: "503"'));
    const again = await runEval({
      head: (await openWorkspace(r.dir, undefined)).head!,
      base: undefined,
      baseRef: null,
      endpoint: suite.endpoint,
      concurrency: 4,
      cache: openCaseCache(cacheDir),
    });
    expect(v1(again).map((c) => [c.description, c.cached])).toEqual([
      ['refund request keeps the key facts', true],
      ['outage report mentions the outage', false],
      ['password reset', true],
    ]);
    const verdict = judgeTargets(again.targets, again.cases).find(
      (v) => v.target.id === 'summarization@v1:gpt-4o-2024-05-13',
    );
    expect(verdict?.passed).toBe(2);

    // And the PR that edits it is an edit of the active version (the file is part of it).
    const vio = testIo(r.dir);
    expect(await main(['validate', '--base', 'HEAD'], vio)).toBe(1);
    expect(vio.text()).toContain('E_IMMUTABLE_VERSION');
  });
});

describe('file:// modules (transforms) on both sides of a change', () => {
  const UPPER = 'module.exports = (output) => output.toUpperCase();\n';
  const LOWER = 'module.exports = (output) => output.toLowerCase();\n';

  it('keys the cache on a transform file and runs each side its own source', async () => {
    const r = await suite.repo();
    await r.edit(V2, (t) =>
      t
        .replace(
          'duplicate charge.\n      assert:',
          'duplicate charge.\n      options:\n        transform: file://evals/shout.js\n      assert:',
        )
        .replace(
          '        - type: icontains\n          value: refund\n',
          '        - type: contains\n          value: REFUND\n',
        ),
    );
    await write(r, 'evals/shout.js', UPPER);
    r.commit('the refund case shouts');
    const cacheDir = join(r.dir, '.switchyard', 'test-cache');
    const refund = (run: { cases: Array<{ id: string; status: string; cached: boolean }> }) =>
      run.cases.find((c) => c.id === 'summarization@v2:gpt-4o-2024-05-13#0');
    const evalHead = async () => {
      const ws = await openWorkspace(r.dir, undefined);
      expect(ws.errors).toEqual([]);
      return runEval({
        head: ws.head!,
        base: undefined,
        baseRef: null,
        endpoint: suite.endpoint,
        concurrency: 4,
        cache: openCaseCache(cacheDir),
      });
    };
    // The transform is promptfoo's module: the upper-cased answer contains "REFUND".
    expect(refund(await evalHead())).toMatchObject({ status: 'pass', cached: false });

    // Only the transform file changes: the verdict is not the cached one.
    await write(r, 'evals/shout.js', LOWER);
    expect(refund(await evalHead())).toMatchObject({ status: 'fail', cached: false });

    // Each side reads its own source: the base from its commit, the head from the working tree.
    const ws = await openWorkspace(r.dir, 'HEAD');
    const files = await loadSideFiles(ws.head!, ws.base);
    const context = (f: typeof files.head) => ({
      files: f,
      endpointOf: () => 'offline',
      graderEndpoint: 'offline',
      graderModel: 'g',
      embeddingModel: 'e',
      evaluator: 'promptfoo@test',
    });
    const v2 = (p: typeof ws.head) =>
      affectedTargets(p!, undefined).filter((t) => t.prompt === 'summarization' && t.version === 2);
    const [baseCase] = buildCases(ws.base!, v2(ws.base), context(files.base));
    const [headCase] = buildCases(ws.head!, v2(ws.head), context(files.head));
    expect(baseCase?.code).toEqual({ 'file://evals/shout.js': UPPER });
    expect(headCase?.code).toEqual({ 'file://evals/shout.js': LOWER });
    expect(baseCase?.key).not.toBe(headCase?.key);
    // The edit of the file makes v2 a target of the change.
    expect(affectedTargets(ws.head!, ws.base, files).map((t) => t.id)).toEqual(['summarization@v2:gpt-4o-2024-05-13']);
  });
});
