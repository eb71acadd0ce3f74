// Benchmark: the whole `npm run pipeline` with every network but loopback unreachable.
// Makes a throwaway git copy of the demo organisation, runs the pipeline (cold: no .switchyard/
// state) inside a fresh network namespace with only `lo` up, proves the namespace has no route
// out, and prints the wall time and stage times. Target: under 60 s on this machine.
//
// Run: npm run bench:pipeline [-- --scenario main|pr|both] [--rounds N] [--compare] [--strace]
//   main     `switchyard pipeline` on the demo organisation (what `npm run pipeline` does)
//   pr       the demo PR (rollout 5 → 25 %, summarization v2 active) with --base HEAD~1
//   --compare  also run on the host's network, interleaved, to see what isolation costs
//   --strace   log connect/send calls of the isolated runs and list every destination
// Needs root (or CAP_SYS_ADMIN) for `unshare -n`; exits 1 with the reason when that is unavailable.
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { applyDemoPr, type DemoRepo } from '../../test/eval/demo-repo.ts';
import { makeDemoCopy } from './demo-copy.ts';
import { runPipeline, unshareProblem, type PipelineRun } from './netns.ts';
import { summariseStrace } from './strace-summary.ts';

const TARGET_S = 60;
const { values } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'both' },
    rounds: { type: 'string', default: '1' },
    compare: { type: 'boolean' },
    strace: { type: 'boolean' },
  },
});
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1 || rounds > 20) throw new Error('--rounds must be an integer from 1 to 20');
if (!['main', 'pr', 'both'].includes(values.scenario)) throw new Error('--scenario must be main, pr or both');

const problem = unshareProblem();
if (problem) {
  process.stderr.write(`bench:pipeline: ${problem}\n`);
  process.exit(1);
}

const out = (line = '') => process.stdout.write(`${line}\n`);
const secs = (ms: number | null) => (ms === null ? '—' : `${(ms / 1000).toFixed(1)} s`);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
};

interface Scenario {
  name: string;
  repo: DemoRepo;
  args: string[];
}

const repos: DemoRepo[] = [];
let failed = false;
try {
  const scenarios: Scenario[] = [];
  if (values.scenario !== 'pr') {
    const repo = await makeDemoCopy();
    repos.push(repo);
    scenarios.push({ name: 'main', repo, args: [] });
  }
  if (values.scenario !== 'main') {
    const repo = await makeDemoCopy();
    repos.push(repo);
    await applyDemoPr(repo);
    repo.commit('demo PR');
    scenarios.push({ name: 'pr', repo, args: ['--base', 'HEAD~1'] });
  }

  const results: Array<{ scenario: string; run: PipelineRun }> = [];
  let probed = false;
  for (let round = 1; round <= rounds; round++) {
    for (const s of scenarios) {
      for (const isolated of values.compare ? [true, false] : [true]) {
        // Cold every time: no eval cache, no promptfoo state from an earlier round.
        await rm(join(s.repo.dir, '.switchyard'), { recursive: true, force: true });
        const strace =
          isolated && values.strace ? join(tmpdir(), `switchyard-pipeline-${s.name}-${round}.strace`) : undefined;
        const run = await runPipeline(s.repo.dir, { isolated, args: s.args, ...(strace ? { strace } : {}) });
        results.push({ scenario: s.name, run });
        if (isolated && !probed && run.probe) {
          probed = true;
          const p = run.probe;
          out(
            `network namespace ${p.namespace} (host: ${(await import('node:fs')).readlinkSync('/proc/self/ns/net')}), only loopback up:`,
          );
          out(`  loopback 127.0.0.1: ${p.loopback.connected ? 'connects' : `FAILS (${p.loopback.code})`}`);
          for (const a of p.publicConnects)
            out(`  connect ${a.target}: ${a.connected ? 'CONNECTED' : `${a.code} after ${a.ms} ms`}`);
          out(`  DNS lookup ${p.dns.host}: ${p.dns.resolved ? 'RESOLVED' : `${p.dns.code} after ${p.dns.ms} ms`}`);
          out();
        }
        const where = isolated ? 'namespace' : 'host net ';
        const stages = Object.entries(run.stages)
          .map(([k, v]) => `${k} ${v.toFixed(1)}`)
          .join(', ');
        out(
          `[${s.name} #${round} ${where}] exit ${run.code ?? 'not run'}, process wall ${secs(run.wallMs)}, pipeline's own ${run.reportedSeconds ?? '—'} s | ${stages}`,
        );
        if (run.problems.length > 0 || run.code !== 0) {
          failed = true;
          for (const p of run.problems) out(`  ✖ ${p}`);
          if (run.code !== 0) out(run.output.slice(-3000));
        }
        if (strace) {
          const summary = summariseStrace(await readFile(strace, 'utf8'));
          const list = (xs: typeof summary.loopback) =>
            xs.map((d) => `${d.destination}×${d.calls} (${d.results.join('/')})`).join(', ') || 'none';
          out(`  strace ${strace}: external destinations: ${list(summary.external)}`);
          out(`  loopback destinations: ${list(summary.loopback)}; unix sockets: ${summary.unix}`);
        }
      }
    }
  }

  out();
  for (const s of scenarios) {
    for (const isolated of values.compare ? [true, false] : [true]) {
      const runs = results
        .filter((r) => r.scenario === s.name && r.run.isolated === isolated && r.run.wallMs !== null)
        .map((r) => r.run);
      if (runs.length === 0) continue;
      const wall = median(runs.map((r) => r.wallMs ?? 0));
      const stageNames = Object.keys(runs[0]?.stages ?? {});
      const stages = stageNames.map((n) => `${n} ${median(runs.map((r) => r.stages[n] ?? 0)).toFixed(1)} s`).join(', ');
      const label = `${s.name}${s.args.length ? ` (pipeline ${s.args.join(' ')})` : ' (pipeline)'}, ${isolated ? 'no network but loopback' : 'host network'}`;
      out(`${label}: median of ${runs.length}: wall ${secs(wall)}; ${stages}`);
      if (isolated)
        out(`  target < ${TARGET_S} s (cold, excluding npm ci): ${wall < TARGET_S * 1000 ? 'met' : 'NOT met'}`);
    }
  }
} finally {
  for (const r of repos) await r.cleanup();
}
process.exitCode = failed ? 1 : 0;
