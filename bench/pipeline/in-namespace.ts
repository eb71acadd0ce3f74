/**
 * Runs INSIDE the network namespace (see netns.ts): probes the network, then — only when the probe
 * proves isolation, if asked to — runs `node bin/switchyard.mjs pipeline` (what `npm run pipeline`
 * runs) in the given repository and times the whole process. Results go to stdout as marker lines
 * (`@@probe {…}`, `@@pipeline {…}`) between the pipeline's own output.
 *
 * Usage: node --import tsx in-namespace.ts --repo <dir> [--host-ns net:[n]] [--strace <file>] -- <pipeline args>
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { isolationProblems, probeNetwork } from './probe.ts';

const { values, positionals } = parseArgs({
  options: { repo: { type: 'string' }, 'host-ns': { type: 'string' }, strace: { type: 'string' } },
  allowPositionals: true,
});
if (!values.repo) {
  process.stderr.write('in-namespace.ts: --repo is required\n');
  process.exit(2);
}

const probe = await probeNetwork();
process.stdout.write(`@@probe ${JSON.stringify(probe)}\n`);
if (values['host-ns'] !== undefined) {
  const problems = isolationProblems(probe, values['host-ns']);
  if (problems.length > 0) {
    process.stdout.write(`@@refused ${JSON.stringify(problems)}\n`);
    process.exit(3);
  }
}

const cli = join(import.meta.dirname, '..', '..', 'bin', 'switchyard.mjs');
const node = [process.execPath, cli, 'pipeline', ...positionals];
// strace follows every thread and child, so a DNS query or connect from any library shows up.
const argv = values.strace
  ? ['strace', '-f', '-tt', '-e', 'trace=connect,sendto,sendmsg,sendmmsg', '-o', values.strace, ...node]
  : node;
const started = performance.now();
const code = await new Promise<number>((done) => {
  const child = spawn(argv[0] ?? process.execPath, argv.slice(1), { cwd: values.repo, stdio: 'inherit' });
  child.once('error', (error) => {
    process.stderr.write(`in-namespace.ts: cannot start ${argv[0]}: ${error.message}\n`);
    done(127);
  });
  child.once('exit', (c, signal) => done(c ?? (signal ? 128 : 1)));
});
process.stdout.write(`\n@@pipeline ${JSON.stringify({ code, wallMs: Math.round(performance.now() - started) })}\n`);
process.exitCode = code;
