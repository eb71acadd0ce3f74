/**
 * `npm run bench:eval`: the evaluator at organisation scale, against the offline model server.
 * - a generated organisation of 200 prompts × 3 versions × 10 cases;
 * - a PR touching one prompt: model requests made vs what re-running the whole suite would cost;
 * - the same eval again: 0 requests (content-keyed cache);
 * - a model pin change (many cases): wall time of 1 shard vs 4 shards as the CI matrix runs them
 *   (each shard its own `switchyard eval --shard i/4` process, cache off; the 4-shard figure is the
 *   slowest shard, as on 4 runners).
 * Options: --prompts N --cases N --models N (defaults 200, 10, 10).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { loadProject, loadProjectAtRef } from '../../src/config/index.ts';
import { evalCaseCount, openModelEndpoint, runEval, startModelServer } from '../../src/eval/index.ts';
import { commitDemoRepo } from '../../test/eval/demo-repo.ts';
import { generateEvalOrg } from './generate.ts';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '..', '..');
const { values } = parseArgs({
  options: { prompts: { type: 'string' }, cases: { type: 'string' }, models: { type: 'string' } },
});
const prompts = Number(values.prompts ?? 200);
const cases = Number(values.cases ?? 10);
const models = Number(values.models ?? 10);

const dir = await mkdtemp(join(tmpdir(), 'switchyard-bench-eval-'));
const server = await startModelServer();
try {
  await generateEvalOrg(dir, prompts, cases, models);
  const repo = commitDemoRepo(dir);
  console.log(`organisation: ${prompts} prompts × 3 versions × ${cases} cases, ${models} models (${dir})`);
  const endpoint = await openModelEndpoint({}, { server });

  const open = async (base: string | undefined) => {
    const head = await loadProject(dir, base === undefined ? {} : { base });
    const baseProject = base === undefined ? undefined : (await loadProjectAtRef(dir, base)).value;
    if (!head.value || head.errors.length > 0)
      throw new Error(`generated org does not load: ${head.errors[0]?.message}`);
    return { head: head.value, base: baseProject };
  };
  const full = await open(undefined);
  const fullSuite = await evalCaseCount(full.head, undefined);

  // A PR that edits one prompt's draft version (active versions are immutable).
  await repo.edit('prompts/p7/v3.yaml', (t) =>
    t.replace('Keep it under three sentences.', 'Keep it under two sentences.'),
  );
  repo.commit('p7: shorter summaries');
  const pr = await open('HEAD~1');
  server.resetStats();
  let started = performance.now();
  const first = await runEval({ head: pr.head, base: pr.base, baseRef: 'HEAD~1', endpoint, concurrency: 8 });
  const firstMs = performance.now() - started;
  console.log(
    `PR touching one prompt: ${first.stats.cases} cases (its version + what the base serves), ${server.stats.chat} model requests, ${(firstMs / 1000).toFixed(1)} s; re-running the whole suite: ${fullSuite} requests`,
  );
  server.resetStats();
  started = performance.now();
  const second = await runEval({ head: pr.head, base: pr.base, baseRef: 'HEAD~1', endpoint, concurrency: 8 });
  const again = server.stats.chat;
  console.log(
    `same PR again: ${again} model requests (${second.stats.cached}/${second.stats.cases} from cache), ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );

  // A model pin change: every prompt on that model is re-evaluated (many cases).
  await repo.edit('models/m0.yaml', (t) => t.replace('snapshot: gpt-4o-2024-05-13', 'snapshot: gpt-4o-2024-11-20'));
  repo.commit('m0: new snapshot');
  const pin = await open('HEAD~1');
  const pinCases = await evalCaseCount(pin.head, pin.base);
  const env = { ...process.env, SWITCHYARD_OFFLINE: '1', OPENAI_API_KEY: '', NODE_NO_WARNINGS: '1' };
  const cli = (args: string[]) =>
    run('node', [join(ROOT, 'bin', 'switchyard.mjs'), 'eval', '--base', 'HEAD~1', '--no-cache', ...args], {
      cwd: dir,
      env,
      maxBuffer: 64 * 1024 * 1024,
    });
  started = performance.now();
  await cli(['--shard', '1/1']);
  const oneMs = performance.now() - started;
  // CI runs each shard on its own runner: its wall time is the slowest shard. Run them one after the
  // other here so they do not compete for this machine's cores.
  const shardMs: number[] = [];
  for (const i of [1, 2, 3, 4]) {
    started = performance.now();
    await cli(['--shard', `${i}/4`]);
    shardMs.push(performance.now() - started);
  }
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  console.log(
    `model pin change (${pinCases} cases): 1 shard ${s(oneMs)}; 4 shards on 4 runners ${s(Math.max(...shardMs))} (slowest shard; each: ${shardMs.map(s).join(', ')})`,
  );
  if (again !== 0 || first.stats.modelCalls !== first.stats.cases)
    throw new Error('bench check failed: cache or counting is off');
} finally {
  await server.close();
  await rm(dir, { recursive: true, force: true });
}
