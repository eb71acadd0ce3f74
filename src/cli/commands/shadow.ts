import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseArgs } from '../parse-args.ts';
import { UsageError, type Command } from '../command.ts';
import { openModelEndpoint, openWorkspace, planShadow, runShadow, shadowResultPath } from '../../eval/index.ts';
import { configDigest, stampResult } from '../../eval/result-stamp.ts';
import { printDiagnostics } from '../format-diagnostics.ts';

const usage = `Usage: switchyard shadow [--base <ref>] [--concurrency <n>] [--out <file>]

Runs each affected dataset through the base and the head configuration (model rollouts, pin
changes, active prompt version changes), scores every pair (embedding cosine and token F1) and
applies the gate: avg > minAvgSimilarity and min > minMinSimilarity.
Writes .switchyard/results/shadow.json unless --out is given. Exit 1 when a blocking gate fails.`;

export const command: Command = {
  name: 'shadow',
  usage,
  async run(argv, io) {
    const { values } = parseArgs({
      args: argv,
      options: { base: { type: 'string' }, concurrency: { type: 'string' }, out: { type: 'string' } },
      allowPositionals: false,
    });
    const ws = await openWorkspace(io.cwd, values.base);
    if (!ws.head || ws.errors.length > 0) {
      printDiagnostics(io, ws.errors, { limit: 20 });
      io.stderr('switchyard shadow: the configuration does not load; run `switchyard validate`.');
      return 1;
    }
    const concurrency =
      values.concurrency === undefined ? ws.head.settings.eval.concurrency : Number(values.concurrency);
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64)
      throw new UsageError('--concurrency must be an integer from 1 to 64');
    const plans = planShadow(ws.head, ws.base);
    // The models a comparison may call decide whether anything may leave the machine.
    const pins = [...ws.head.models.values(), ...(ws.base?.models.values() ?? [])];
    const endpoint = await openModelEndpoint(io.env, { pins });
    try {
      io.stdout(`shadow: embeddings (scoring) by ${endpoint.label}`);
      const run = await runShadow({ plans, endpoint, baseRef: ws.baseRef, concurrency, root: ws.root });
      const out = values.out === undefined ? shadowResultPath(ws.root) : resolve(io.cwd, values.out);
      await mkdir(dirname(out), { recursive: true });
      await writeFile(
        out,
        `${JSON.stringify(stampResult(run, { commit: ws.commit, configDigest: configDigest(ws.head) }), null, 2)}\n`,
      );
      if (run.comparisons.length === 0)
        io.stdout('shadow: nothing to compare — no model rollout, pin or active prompt change.');
      let blocked = false;
      for (const c of run.comparisons) {
        const bad = !c.passed && c.blocking;
        blocked ||= bad;
        io.stdout(
          `${c.passed ? '✔' : bad ? '✖' : '⚠'} ${c.title}: ${c.count} pairs, cosine avg ${c.cosine.avg.toFixed(3)} min ${c.cosine.min.toFixed(3)} p10 ${c.cosine.p10.toFixed(3)}, F1 avg ${c.lexical.avg.toFixed(3)} (gate avg > ${c.gate.minAvgSimilarity}, min > ${c.gate.minMinSimilarity}${c.blocking ? '' : ', advisory'})`,
        );
        if (c.sources)
          io.stdout(
            c.sources.base === c.sources.head
              ? `  answers by ${c.sources.base}`
              : `  answers: base by ${c.sources.base}; head by ${c.sources.head}`,
          );
        for (const p of c.problems.slice(0, 5)) io.stderr(`  ${p}`);
      }
      io.stdout(`shadow: → ${out}`);
      return blocked ? 1 : 0;
    } finally {
      await endpoint.close();
    }
  },
};
