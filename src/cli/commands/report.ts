import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from '../parse-args.ts';
import type { Command, CommandIo } from '../command.ts';
import {
  buildReport,
  compileAll,
  diffProjects,
  openWorkspace,
  loadSideFiles,
  planReport,
  renderMarkdown,
  reportDir,
  resultsDir,
  shadowResultPath,
  type EvalRun,
  type Report,
  type ShadowRun,
} from '../../eval/index.ts';
import { buildConfigInvalidReport } from '../../eval/report/config-invalid.ts';
import { configDigest, staleReason, type ResultStamp } from '../../eval/result-stamp.ts';
import { fileLocator, judgeChange, policyThresholds } from '../../gate/index.ts';
import { CONFIG_ROOTS } from '../../config/layout.ts';
import { isGitRepo, uncommittedPaths } from '../../git/index.ts';

const usage = `Usage: switchyard report [--base <ref>] [--eval <file>]... [--shadow <file>] [--out-dir <dir>]

Builds the PR report: verdict, the gate (exposure per environment under the base policy), what
changes for users (base vs head), tests per prompt version against their gate, shadow results,
validation findings and bundle digests. Merges every eval shard (default:
.switchyard/results/eval*.json) and reads .switchyard/results/shadow.json; a result stamped for
another commit or configuration is refused (E_REPORT_STALE_RESULT). A configuration that does not
validate gives a blocked report listing the findings. Writes report.md (under GitHub's comment
limit) and report.json (schemas/report.schema.json) to .switchyard/report/ unless --out-dir is
given; old ones are removed first. Exit 1 when the verdict is "blocked".`;

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

/** The GitHub Actions run this report comes from (its page lists the `switchyard-report` artifact). */
function ciRun(env: NodeJS.ProcessEnv): { url: string; artifact: string } | null {
  const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repo, GITHUB_RUN_ID: id } = env;
  if (!server || !repo || !id || !/^\d+$/.test(id)) return null;
  return { url: `${server}/${repo}/actions/runs/${id}`, artifact: 'switchyard-report' };
}

export const command: Command = {
  name: 'report',
  usage,
  async run(argv, io) {
    const { values } = parseArgs({
      args: argv,
      options: {
        base: { type: 'string' },
        eval: { type: 'string', multiple: true },
        shadow: { type: 'string' },
        'out-dir': { type: 'string' },
      },
      allowPositionals: false,
    });
    const ws = await openWorkspace(io.cwd, values.base);
    const outDir = values['out-dir'] === undefined ? reportDir(ws.root) : resolve(io.cwd, values['out-dir']);
    // Never leave an earlier verdict behind: whatever happens next, the old files are gone.
    await Promise.all(['report.md', 'report.json'].map((f) => rm(join(outDir, f), { force: true })));
    const uncommitted = (await isGitRepo(ws.root)) ? await uncommittedPaths(ws.root, CONFIG_ROOTS).catch(() => []) : [];
    const report =
      ws.head && ws.errors.length === 0
        ? await evaluatedReport(ws as typeof ws & { head: NonNullable<typeof ws.head> }, values, io)
        : buildConfigInvalidReport({
            project: ws.head?.settings.project ?? '?',
            base: ws.baseRef,
            commit: ws.commit,
            findings: { errors: ws.errors, warnings: ws.warnings },
          });
    report.uncommitted = uncommitted;
    report.run = ciRun(io.env);
    await mkdir(outDir, { recursive: true });
    const markdown = renderMarkdown(report);
    await writeFile(join(outDir, 'report.md'), markdown);
    await writeFile(join(outDir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
    io.stdout(
      `report: ${report.verdict === 'pass' ? 'safe to merge' : `blocked (${report.blockers.length} blocker(s))`}${report.offline ? ' [offline model]' : ''}`,
    );
    for (const b of report.blockers) io.stdout(`  - ${b}`);
    if (uncommitted.length > 0) io.stdout(`report: judged the working tree; not committed: ${uncommitted.join(', ')}`);
    io.stdout(`report: ${join(outDir, 'report.md')} (${markdown.length} chars), ${join(outDir, 'report.json')}`);
    return report.verdict === 'pass' ? 0 : 1;
  },
};

async function evaluatedReport(
  ws: Awaited<ReturnType<typeof openWorkspace>> & {
    head: NonNullable<Awaited<ReturnType<typeof openWorkspace>>['head']>;
  },
  values: { eval?: string[]; shadow?: string },
  io: CommandIo,
): Promise<Report> {
  const expected: ResultStamp = { commit: ws.commit, configDigest: configDigest(ws.head) };
  const stale: string[] = [];
  const fresh = <T extends object>(doc: T | undefined, file: string): T | undefined => {
    if (!doc) return undefined;
    const why = staleReason(doc as Partial<ResultStamp>, expected, relative(ws.root, file) || file);
    if (why === null) return doc;
    stale.push(`E_REPORT_STALE_RESULT ${why}: not combined (re-run eval/shadow for this commit)`);
    return undefined;
  };
  let evalFiles = (values.eval ?? []).map((f) => resolve(io.cwd, f));
  if (evalFiles.length === 0) {
    const dir = resultsDir(ws.root);
    const names = await readdir(dir).catch(() => [] as string[]);
    evalFiles = names
      .filter((n) => /^eval(-shard-\d+-of-\d+)?\.json$/.test(n))
      .sort()
      .map((n) => join(dir, n));
  }
  const evalRuns: EvalRun[] = [];
  let unreadable = false;
  for (const f of evalFiles) {
    const read = await readJson<EvalRun>(f, 'switchyard.eval-run', io);
    if (!read) unreadable = true;
    const run = fresh(read, f);
    if (run) evalRuns.push(run);
  }
  const shadowFile = values.shadow === undefined ? shadowResultPath(ws.root) : resolve(io.cwd, values.shadow);
  const shadow = fresh(
    await readJson<ShadowRun>(shadowFile, 'switchyard.shadow-run', {
      ...io,
      stderr: values.shadow === undefined ? () => {} : io.stderr,
    }),
    shadowFile,
  );
  for (const r of evalRuns)
    if (r.base !== ws.baseRef)
      io.stderr(
        `report: warning: an eval result was made against base '${r.base ?? 'none'}', not '${ws.baseRef ?? 'none'}'`,
      );
  const plan = planReport(ws.head, ws.base, await loadSideFiles(ws.head, ws.base));
  const gate = judgeChange(ws.base, ws.head, {
    locate: fileLocator(ws.root),
    gatedEvidence: plan.targets.some((t) => t.gate !== 'none') || plan.shadow.some((c) => c.blocking),
  });
  const report = buildReport({
    project: ws.head.settings.project,
    base: ws.baseRef,
    commit: ws.commit,
    changes: diffProjects(ws.base, ws.head),
    evalRuns,
    shadow,
    findings: { errors: ws.errors, warnings: [...gate.warnings, ...ws.warnings] },
    bundles: compileAll(ws.head, ws.commit),
    plan,
    thresholds: policyThresholds(gate.policy, ws.base),
    gate,
  });
  if (unreadable) report.blockers.push('E_REPORT_UNREADABLE_RESULT some eval result files could not be read');
  report.blockers.push(...stale);
  if (report.blockers.length > 0) report.verdict = 'fail';
  report.status = 'evaluated';
  report.configDigest = expected.configDigest;
  return report;
}
