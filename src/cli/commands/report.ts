import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from '../parse-args.ts';
import type { Command, CommandIo } from '../command.ts';
import { buildReport, compileAll, diffProjects, openWorkspace, planReport, renderMarkdown, reportDir, resultsDir, shadowResultPath, type EvalRun, type ShadowRun } from '../../eval/index.ts';

const usage = `Usage: switchyard report [--base <ref>] [--eval <file>]... [--shadow <file>] [--out-dir <dir>]

Builds the PR report: verdict, what changes for users (base vs head), tests per prompt version
against their gate, shadow results, validation findings and bundle digests. Merges every eval shard
(default: .switchyard/results/eval*.json) and reads .switchyard/results/shadow.json.
Writes report.md (under GitHub's comment limit) and report.json (schemas/report.schema.json) to
.switchyard/report/ unless --out-dir is given. Exit 1 when the verdict is "blocked".`;

async function readJson<T>(file: string, kind: string, io: CommandIo): Promise<T | undefined> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    io.stderr(`report: cannot read ${file}: ${(error as Error).message}`);
    return undefined;
  }
  if ((parsed as { kind?: unknown } | null)?.kind !== kind) {
    io.stderr(`report: ${file} is not a ${kind} document`);
    return undefined;
  }
  return parsed as T;
}

export const command: Command = {
  name: 'report',
  usage,
  async run(argv, io) {
    const { values } = parseArgs({
      args: argv,
      options: { base: { type: 'string' }, eval: { type: 'string', multiple: true }, shadow: { type: 'string' }, 'out-dir': { type: 'string' } },
      allowPositionals: false,
    });
    const ws = await openWorkspace(io.cwd, values.base);
    let evalFiles = (values.eval ?? []).map((f) => resolve(io.cwd, f));
    if (evalFiles.length === 0) {
      const dir = resultsDir(ws.root);
      const names = await readdir(dir).catch(() => [] as string[]);
      evalFiles = names.filter((n) => /^eval(-shard-\d+-of-\d+)?\.json$/.test(n)).sort().map((n) => join(dir, n));
    }
    const evalRuns: EvalRun[] = [];
    let unreadable = false;
    for (const f of evalFiles) {
      const run = await readJson<EvalRun>(f, 'switchyard.eval-run', io);
      if (run) evalRuns.push(run);
      else unreadable = true;
    }
    const shadowFile = values.shadow === undefined ? shadowResultPath(ws.root) : resolve(io.cwd, values.shadow);
    const shadow = await readJson<ShadowRun>(shadowFile, 'switchyard.shadow-run', { ...io, stderr: values.shadow === undefined ? () => {} : io.stderr });
    for (const r of evalRuns) if (r.base !== ws.baseRef) io.stderr(`report: warning: an eval result was made against base '${r.base ?? 'none'}', not '${ws.baseRef ?? 'none'}'`);
    const report = buildReport({
      project: ws.head?.settings.project ?? '?',
      base: ws.baseRef,
      commit: ws.commit,
      changes: ws.head ? diffProjects(ws.base, ws.head) : [],
      evalRuns,
      shadow,
      findings: { errors: ws.errors, warnings: ws.warnings },
      bundles: ws.head && ws.errors.length === 0 ? compileAll(ws.head, ws.commit) : [],
      plan: ws.head ? planReport(ws.head, ws.base) : null,
    });
    if (unreadable) report.blockers.push('some eval result files could not be read');
    if (unreadable) report.verdict = 'fail';
    const outDir = values['out-dir'] === undefined ? reportDir(ws.root) : resolve(io.cwd, values['out-dir']);
    await mkdir(outDir, { recursive: true });
    const markdown = renderMarkdown(report);
    await writeFile(join(outDir, 'report.md'), markdown);
    await writeFile(join(outDir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
    io.stdout(`report: ${report.verdict === 'pass' ? 'safe to merge' : `blocked (${report.blockers.length} blocker(s))`}${report.offline ? ' [offline model]' : ''}`);
    for (const b of report.blockers) io.stdout(`  - ${b}`);
    io.stdout(`report: ${join(outDir, 'report.md')} (${markdown.length} chars), ${join(outDir, 'report.json')}`);
    return report.verdict === 'pass' ? 0 : 1;
  },
};
