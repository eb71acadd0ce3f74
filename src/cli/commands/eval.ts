import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseArgs } from '../parse-args.ts';
import { UsageError, type Command } from '../command.ts';
import {
  judgeTargets,
  openModelEndpoint,
  openWorkspace,
  parseShard,
  runEval,
  evalResultPath,
} from '../../eval/index.ts';
import { configDigest, stampResult } from '../../eval/result-stamp.ts';
import { printDiagnostics } from '../format-diagnostics.ts';
import { toPromptfooResults } from '../../eval/promptfoo-export.ts';
import { DEFAULT_CASES_PER_SHARD, DEFAULT_MAX_SHARDS, planShards } from '../../eval/shard-plan.ts';
import { evalCaseCount, graderRoute } from '../../eval/run-eval.ts';

const usage = `Usage: switchyard eval [--base <ref>] [--concurrency <n>] [--shard <i>/<n>] [--out <file>] [--no-cache]
       switchyard eval [--base <ref>] --plan [--cases-per-shard <n>] [--max-shards <n>]

Runs the promptfoo tests of the prompt versions this change affects (all active and draft versions
with tests when no --base is given) and enforces the activation gate. Each model is called where it
is served when its own key variable is set (or its type needs none: Ollama, http without headers);
otherwise, and for all with SWITCHYARD_OFFLINE=1, the embedded offline model server answers. Grading
and embeddings use OPENAI_API_KEY (or the offline server). The output names the source per model.
Writes .switchyard/results/eval.json (or eval-shard-<i>-of-<n>.json) unless --out is given.
Exit 1 when a gated version's pass rate is below its minPassRate.
--plan runs nothing: it prints how many shards the change needs ({"cases","shards","matrix"}) and,
under GitHub Actions, sets the step outputs shards and matrix for a sharded eval job.`;

export const command: Command = {
  name: 'eval',
  usage,
  async run(argv, io) {
    const { values } = parseArgs({
      args: argv,
      options: {
        base: { type: 'string' },
        concurrency: { type: 'string' },
        shard: { type: 'string' },
        out: { type: 'string' },
        'no-cache': { type: 'boolean' },
        plan: { type: 'boolean' },
        'cases-per-shard': { type: 'string' },
        'max-shards': { type: 'string' },
      },
      allowPositionals: false,
    });
    const shard = values.shard === undefined ? { index: 1, count: 1 } : parseShard(values.shard);
    if (!shard) throw new UsageError(`--shard must look like 2/4 (1 ≤ i ≤ n), got '${values.shard}'`);
    const ws = await openWorkspace(io.cwd, values.base);
    if (!ws.head || ws.errors.length > 0) {
      printDiagnostics(io, ws.errors, { limit: 20 });
      io.stderr('switchyard eval: the configuration does not load; run `switchyard validate`.');
      return 1;
    }
    if (values.plan) {
      const perShard = Number(values['cases-per-shard'] ?? DEFAULT_CASES_PER_SHARD);
      const max = Number(values['max-shards'] ?? DEFAULT_MAX_SHARDS);
      if (!Number.isInteger(perShard) || perShard < 1 || !Number.isInteger(max) || max < 1 || max > 256)
        throw new UsageError('--cases-per-shard and --max-shards must be positive integers (max-shards ≤ 256)');
      const cases = await evalCaseCount(ws.head, ws.base);
      const plan = planShards(cases, perShard, max);
      io.stdout(JSON.stringify(plan));
      if (io.env.GITHUB_OUTPUT)
        await appendFile(io.env.GITHUB_OUTPUT, `shards=${plan.shards}\nmatrix=${JSON.stringify(plan.matrix)}\n`);
      return 0;
    }
    const concurrency =
      values.concurrency === undefined ? ws.head.settings.eval.concurrency : Number(values.concurrency);
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64)
      throw new UsageError('--concurrency must be an integer from 1 to 64');
    // The models the run may call decide whether anything may leave the machine.
    const pins = [...ws.head.models.values(), ...(ws.base?.models.values() ?? [])];
    const endpoint = await openModelEndpoint(io.env, { pins });
    try {
      const grader = graderRoute(ws.head, ws.base, endpoint);
      if (grader)
        io.stdout(
          `eval: grading (llm-rubric) by model ${grader.alias} (${grader.route.label}); embeddings (similar) by ${endpoint.label}`,
        );
      else io.stdout(`eval: grading (llm-rubric, similar) by ${endpoint.label}`);
      let lastShown = -1;
      const run = await runEval({
        head: ws.head,
        base: ws.base,
        baseRef: ws.baseRef,
        endpoint,
        concurrency,
        shard,
        ...(values['no-cache'] ? { cache: null } : {}),
        onProgress: (done, total) => {
          const step = Math.floor((done / Math.max(1, total)) * 10);
          if (total > 0 && (step !== lastShown || done === total)) {
            lastShown = step;
            io.stdout(`eval: ${done}/${total} cases`);
          }
        },
      });
      const out = values.out === undefined ? evalResultPath(ws.root, shard) : resolve(io.cwd, values.out);
      await mkdir(dirname(out), { recursive: true });
      await writeFile(
        out,
        `${JSON.stringify(stampResult(run, { commit: ws.commit, configDigest: configDigest(ws.head) }), null, 2)}\n`,
      );
      // The same results in promptfoo's format: `promptfoo import <file>` then `promptfoo view`.
      const promptfooOut = out.replace(/\.json$/, '') + '.promptfoo.json';
      await writeFile(promptfooOut, `${JSON.stringify(toPromptfooResults(run, new Date().toISOString()), null, 2)}\n`);
      for (const [alias, label] of Object.entries(run.endpoints ?? {}))
        io.stdout(`eval: model ${alias} answered by ${label}`);
      if (run.targets.length === 0)
        io.stdout('eval: nothing to evaluate — this change affects no prompt version with tests.');
      const verdicts = judgeTargets(run.targets, run.cases);
      let blocked = false;
      for (const v of verdicts) {
        const mine = run.cases.filter((c) => c.target === v.target.id);
        if (mine.length === 0) continue;
        const failed = mine.filter((c) => c.status === 'fail').length;
        const errored = mine.filter((c) => c.status === 'error').length;
        const rate = `${v.passed}/${mine.length} passed, ${failed} failed, ${errored} errored`;
        // A shard only sees part of a target: the gate is judged by `report` over all shards.
        const judged = shard.count === 1;
        const bad = judged && !v.ok;
        blocked ||= bad;
        io.stdout(
          `${bad ? '✖' : v.passRate >= v.target.minPassRate ? '✔' : '·'} ${v.target.id} ${rate} (gate: ${v.target.gate}, min ${v.target.minPassRate})`,
        );
      }
      const s = run.stats;
      io.stdout(`eval: promptfoo-format results → ${promptfooOut} (promptfoo import, then promptfoo view)`);
      io.stdout(
        `eval: ${s.cases} cases: ${s.passed} passed, ${s.failed} failed, ${s.errors} errored · ${s.cached} from cache, ${s.executed} run${s.notRun > 0 ? `, ${s.notRun} not run` : ''}, ${s.modelCalls} call(s) of the models under test (${(run.durationMs / 1000).toFixed(1)} s) → ${out}`,
      );
      for (const c of run.cases.filter((r) => r.status === 'error').slice(0, 5))
        io.stderr(`  error ${c.id}: ${c.error ?? ''}`);
      if (io.env.GITHUB_ACTIONS === 'true') {
        const [{ caseAnnotations }, { emitAnnotations }] = await Promise.all([
          import('../../github/eval-annotations.ts'),
          import('../../github/annotations.ts'),
        ]);
        emitAnnotations(caseAnnotations(run));
      }
      if (blocked) io.stderr('eval: blocked — a gated prompt version is below its minPassRate.');
      return blocked ? 1 : 0;
    } finally {
      await endpoint.close();
    }
  },
};
