import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from '../parse-args.ts';
import { commands } from './index.ts';
import type { Command, CommandIo } from '../command.ts';
import { compileSignVerify, openWorkspace, reportDir, resultsDir } from '../../eval/index.ts';
import { printDiagnostics } from '../format-diagnostics.ts';

const usage = `Usage: switchyard pipeline [--base <ref>]

Runs the whole flow offline on this repository: validate → eval → shadow → report → compile →
sign (ephemeral dev key, never written to the repository) → verify. With --base it evaluates and
reports as a pull request against that ref would. Prints a short summary with the paths of the
report and the bundles, and the wall time. Exit 1 when the report blocks or a bundle fails to verify.`;

async function stage(name: string, argv: string[], io: CommandIo): Promise<number | undefined> {
  const load = commands[name];
  if (!load) return undefined;
  const { command: step } = await load();
  return step.run(argv, io);
}

export const command: Command = {
  name: 'pipeline',
  usage,
  async run(argv, io) {
    const started = performance.now();
    const { values } = parseArgs({ args: argv, options: { base: { type: 'string' } }, allowPositionals: false });
    const baseArgs = values.base === undefined ? [] : ['--base', values.base];
    const timings: string[] = [];
    const timed = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
      const t0 = performance.now();
      io.stdout(`▶ ${name}`);
      const result = await work();
      timings.push(`${name} ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      return result;
    };

    // A run never shows an earlier run's results or verdict: clear them before the first stage.
    await Promise.all([resultsDir(io.cwd), reportDir(io.cwd)].map((dir) => rm(dir, { recursive: true, force: true })));
    const validated = await timed('validate', async () => {
      const viaCommand = await stage('validate', baseArgs, io);
      if (viaCommand !== undefined) return viaCommand;
      const ws = await openWorkspace(io.cwd, values.base);
      printDiagnostics(io, ws.errors, { limit: 50 });
      io.stdout(`validate: ${ws.errors.length} error(s), ${ws.warnings.length} warning(s)`);
      return ws.errors.length > 0 || !ws.head ? 1 : 0;
    });
    if (validated !== 0) {
      // Still write the report: a blocked report that lists the findings, for the PR comment.
      await timed('report', async () => (await stage('report', baseArgs, io)) ?? 1);
      io.stderr('✖ pipeline stopped: the configuration does not validate');
      io.stdout(`report:  ${join(reportDir(io.cwd), 'report.md')} and report.json`);
      return 1;
    }
    const evalCode = await timed('eval', async () => (await stage('eval', baseArgs, io)) ?? 1);
    const shadowCode = await timed('shadow', async () => (await stage('shadow', baseArgs, io)) ?? 1);
    const reportCode = await timed('report', async () => (await stage('report', baseArgs, io)) ?? 1);

    const signed = await timed('compile → sign → verify', async () => {
      const ws = await openWorkspace(io.cwd, undefined);
      if (!ws.head) return undefined;
      return compileSignVerify(ws.head, ws.commit, join(io.cwd, '.switchyard', 'pipeline', 'bundles'), {
        root: ws.root,
      });
    });
    let verifyFailed = !signed;
    if (signed) {
      io.stdout(`signed with an ephemeral dev key ${signed.keyid.slice(0, 16)}… (discarded)`);
      for (const b of signed.bundles) {
        verifyFailed ||= !b.verified;
        io.stdout(`${b.verified ? '✔' : '✖'} ${b.env}: sha256:${b.sha256} — ${b.message}\n    ${b.dir}`);
      }
    }
    const seconds = (performance.now() - started) / 1000;
    io.stdout('');
    io.stdout(
      `summary: eval ${evalCode === 0 ? 'ok' : 'blocked'}, shadow ${shadowCode === 0 ? 'ok' : 'blocked'}, report ${reportCode === 0 ? 'safe to merge' : 'blocked'}, bundles ${verifyFailed ? 'NOT verified' : 'verified'}`,
    );
    io.stdout(`report:  ${join(reportDir(io.cwd), 'report.md')} and report.json`);
    io.stdout(`stages:  ${timings.join(', ')}`);
    io.stdout(
      `${reportCode === 0 && !verifyFailed ? '✔' : '✖'} pipeline finished in ${seconds.toFixed(1)} s (wall time)`,
    );
    return reportCode === 0 && !verifyFailed ? 0 : 1;
  },
};
