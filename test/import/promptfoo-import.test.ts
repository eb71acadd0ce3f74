/**
 * `switchyard import promptfoo` on three realistic promptfoo configs (vars files, defaultTest,
 * assertion sets, transforms, JSON schemas) → `switchyard validate` is clean → `switchyard eval`
 * gives the same pass/fail per case as `promptfoo eval` on the original config, both against the
 * same local OpenAI-compatible server.
 */
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { openModelEndpoint, startModelServer, type EvalRun, type ModelServer } from '../../src/eval/index.ts';
import { promptfooEnv } from '../../src/eval/promptfoo-env.ts';
import { makeDemoRepo, REPO_ROOT, type DemoRepo } from '../eval/demo-repo.ts';
import { testIo } from '../eval/io.ts';

const run = promisify(execFile);
const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'promptfoo-import');
const PROMPTFOO = join(REPO_ROOT, 'node_modules', '.bin', 'promptfoo');

let server: ModelServer;
let repo: DemoRepo;
let state: string;

beforeAll(async () => {
  server = await startModelServer();
  repo = await makeDemoRepo();
  state = await mkdtemp(join(tmpdir(), 'switchyard-promptfoo-'));
  await cp(FIXTURES, join(repo.dir, 'evals'), { recursive: true });
});
afterAll(async () => {
  await server.close();
  await repo.cleanup();
  await rm(state, { recursive: true, force: true });
});

/** promptfoo's own verdict per test, running the original config against the local server. */
async function promptfooVerdicts(config: string): Promise<boolean[]> {
  const out = join(state, `${config.replace(/\W+/g, '-')}.json`);
  // Exit code 100 means "some test failed": that is a result, not an error.
  await run(PROMPTFOO, ['eval', '-c', join(repo.dir, config), '-o', out, '--no-cache', '-j', '2'], {
    cwd: repo.dir,
    env: await promptfooEnvFor(),
    timeout: 120_000,
  }).catch((error: { code?: number }) => {
    if (error.code !== 100) throw error;
  });
  const parsed = JSON.parse(await readFile(out, 'utf8')) as {
    results: { results: { testIdx: number; success: boolean }[] };
  };
  return [...parsed.results.results].sort((a, b) => a.testIdx - b.testIdx).map((r) => r.success);
}

/** promptfoo as the evaluator runs it (phone-home off, proxies blackholed), answering from the local server. */
async function promptfooEnvFor(): Promise<NodeJS.ProcessEnv> {
  return { PATH: process.env.PATH ?? '', HOME: state, ...promptfooEnv(state, await openModelEndpoint({}, { server })) };
}

const CONFIGS = [
  {
    config: 'evals/support-triage/promptfooconfig.yaml',
    prompt: 'triage-prompt',
    // Its `tests: file://tests.yaml` stays a file the version refers to.
    notes: ["'outputPath' is not imported", 'tests stay in evals/support-triage/tests.yaml'],
  },
  { config: 'evals/summarizer/promptfooconfig.yaml', prompt: 'ticket-summary', notes: [] },
  { config: 'evals/faq-json/promptfooconfig.yaml', prompt: 'faq-answer', notes: ["'evaluateOptions' is not imported"] },
];

describe('switchyard import promptfoo', () => {
  it('imports three promptfoo configs that validate clean and evaluate like promptfoo does', async () => {
    for (const { config, notes } of CONFIGS) {
      const io = testIo(repo.dir);
      expect(await main(['import', 'promptfoo', config], io), io.text()).toBe(0);
      for (const n of notes) expect(io.text()).toContain(n);
    }
    const validate = testIo(repo.dir);
    expect(await main(['validate'], validate), validate.text()).toBe(0);
    // Clean: no error; the only warnings say the imported prompts are drafts (nothing is served yet).
    expect(validate.text()).toContain('0 errors, 3 warnings');
    expect(validate.text().match(/warning {2}\w+/g)).toEqual([
      'warning  W_NO_ACTIVE_VERSION',
      'warning  W_NO_ACTIVE_VERSION',
      'warning  W_NO_ACTIVE_VERSION',
    ]);

    const env = { SWITCHYARD_OFFLINE: '0', OPENAI_API_KEY: 'sk-local', OPENAI_BASE_URL: server.baseUrl };
    const io = testIo(repo.dir, env);
    await main(['eval', '--no-cache'], io);
    const evalRun = JSON.parse(await readFile(join(repo.dir, '.switchyard/results/eval.json'), 'utf8')) as EvalRun;
    const seen = new Set<boolean>();
    for (const { config, prompt } of CONFIGS) {
      const target = evalRun.targets.find((t) => t.prompt === prompt);
      expect(target, `${prompt} evaluated`).toBeDefined();
      const ours = evalRun.cases.filter((c) => c.target === target?.id).sort((a, b) => a.index - b.index);
      expect(
        ours.every((c) => c.status !== 'error'),
        JSON.stringify(ours.filter((c) => c.status === 'error').map((c) => c.error)),
      ).toBe(true);
      const theirs = await promptfooVerdicts(config);
      expect(
        ours.map((c) => c.status === 'pass'),
        `${config}: switchyard vs promptfoo`,
      ).toEqual(theirs);
      for (const v of theirs) seen.add(v);
    }
    // The configs exercise both outcomes, so agreement means something.
    expect(seen).toEqual(new Set([true, false]));

    // Switchyard's results in promptfoo's format: promptfoo imports them and shows them.
    const exported = join(repo.dir, '.switchyard/results/eval.promptfoo.json');
    const evalId = (JSON.parse(await readFile(exported, 'utf8')) as { evalId: string }).evalId;
    // promptfoo's CLI prints through its logger: at the eval's LOG_LEVEL=warn `show` prints nothing.
    const cliEnv = { ...(await promptfooEnvFor()), LOG_LEVEL: 'info' };
    await run(PROMPTFOO, ['import', exported], { cwd: repo.dir, env: cliEnv, timeout: 120_000 });
    const shown = await run(PROMPTFOO, ['show', 'eval', evalId], { cwd: repo.dir, env: cliEnv, timeout: 120_000 });
    expect(shown.stdout).toContain('[PASS]');
    expect(shown.stdout).toContain('[FAIL]');
  });

  it('refuses a config outside the repository and file references that leave it', async () => {
    const io = testIo(repo.dir);
    expect(await main(['import', 'promptfoo', join(FIXTURES, 'faq-json', 'promptfooconfig.yaml')], io)).toBe(1);
    expect(io.text()).toContain('E_IMPORT_OUTSIDE');
  });
});
