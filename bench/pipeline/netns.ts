/**
 * Runs the pipeline in a fresh network namespace with only loopback up (`unshare -n`, needs root or
 * CAP_SYS_ADMIN), or — for comparison — on the host's network, and collects the probe, exit code,
 * wall time and per-stage times. Shared by `npm run bench:pipeline` and test/eval/pipeline-netns.test.ts.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { SOURCE_ROOT } from './demo-copy.ts';
import { isolationProblems, type NetworkProbe } from './probe.ts';

export interface PipelineRun {
  isolated: boolean;
  probe: NetworkProbe | undefined;
  /** Why the namespace is not proof of isolation; the pipeline is not run when there are any. */
  problems: string[];
  /** Exit code of `switchyard pipeline` (null when it did not run). */
  code: number | null;
  /** Wall time of the pipeline process, node start to exit. */
  wallMs: number | null;
  /** The pipeline's own "finished in … s (wall time)" figure (excludes node start and module loading). */
  reportedSeconds: number | null;
  /** Stage → seconds, from the pipeline's `stages:` line. */
  stages: Record<string, number>;
  output: string;
}

/** Why `unshare -n` cannot be used here, or undefined when it works (checked by really using it). */
export function unshareProblem(): string | undefined {
  try {
    execFileSync('unshare', ['-n', '--', 'sh', '-c', 'ip link set lo up'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 10_000,
    });
    return undefined;
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: Buffer };
    const detail =
      e.code === 'ENOENT'
        ? 'the `unshare` command is not installed (util-linux)'
        : e.stderr?.toString().trim() || e.message;
    return `cannot create a network namespace with \`unshare -n\` + \`ip link set lo up\` (needs root or CAP_SYS_ADMIN, util-linux and iproute2): ${detail}`;
  }
}

/** Environment of the run: no model key and no inherited proxies, so only the pipeline's own settings count. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, SWITCHYARD_OFFLINE: '1' };
  for (const name of [
    'OPENAI_API_KEY',
    'OPENAI_BASE_URL',
    'HTTP_PROXY',
    'HTTPS_PROXY',
    'ALL_PROXY',
    'NO_PROXY',
    'http_proxy',
    'https_proxy',
    'all_proxy',
    'no_proxy',
    'GITHUB_STEP_SUMMARY',
    'GITHUB_OUTPUT',
  ])
    delete env[name];
  return env;
}

function marker<T>(output: string, name: string): T | undefined {
  const line = output.split('\n').find((l) => l.startsWith(`@@${name} `));
  return line === undefined ? undefined : (JSON.parse(line.slice(name.length + 3)) as T);
}

export function parseStages(output: string): Record<string, number> {
  const line = output.split('\n').find((l) => l.startsWith('stages:'));
  const stages: Record<string, number> = {};
  for (const m of (line ?? '').slice('stages:'.length).matchAll(/\s*([^,]+?) (\d+(?:\.\d+)?) s(?:,|$)/g)) {
    if (m[1] !== undefined && m[2] !== undefined) stages[m[1]] = Number(m[2]);
  }
  return stages;
}

export interface RunOptions {
  /** true: in a new network namespace with only loopback; false: on the host's network. */
  isolated: boolean;
  /** Arguments after `pipeline`, e.g. ['--base', 'HEAD~1']. */
  args?: string[];
  /** Write an strace log of connect/send calls of the pipeline and all its threads here. */
  strace?: string;
  /** Echo the pipeline's output while it runs. */
  echo?: boolean;
}

export async function runPipeline(repoDir: string, options: RunOptions): Promise<PipelineRun> {
  const hostNs = readlinkSync('/proc/self/ns/net');
  const inner = [process.execPath, '--import', 'tsx', join(import.meta.dirname, 'in-namespace.ts'), '--repo', repoDir];
  if (options.isolated) inner.push('--host-ns', hostNs);
  if (options.strace) inner.push('--strace', options.strace);
  inner.push('--', ...(options.args ?? []));
  // `exec "$@"` keeps the argument list out of shell quoting.
  const argv = options.isolated
    ? ['unshare', '-n', '--', 'sh', '-c', 'ip link set lo up && exec "$@"', 'sh', ...inner]
    : inner;
  const chunks: string[] = [];
  await new Promise<void>((done, fail) => {
    // cwd = this checkout, so `--import tsx` resolves from its node_modules.
    const child = spawn(argv[0] ?? 'unshare', argv.slice(1), {
      cwd: SOURCE_ROOT,
      env: cleanEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const take = (chunk: Buffer) => {
      chunks.push(chunk.toString());
      if (options.echo) process.stdout.write(chunk.toString().replace(/^@@.*\n/gm, ''));
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.once('error', fail);
    child.once('close', () => done());
  });
  const output = chunks.join('');
  const probe = marker<NetworkProbe>(output, 'probe');
  const refused = marker<string[]>(output, 'refused');
  const finished = marker<{ code: number; wallMs: number }>(output, 'pipeline');
  const problems = refused ?? (options.isolated && probe ? isolationProblems(probe, hostNs) : []);
  if (!probe) problems.push(`the probe did not report; output:\n${output.slice(-2000)}`);
  const reported = /pipeline finished in (\d+(?:\.\d+)?) s \(wall time\)/.exec(output);
  return {
    isolated: options.isolated,
    probe,
    problems,
    code: finished?.code ?? null,
    wallMs: finished?.wallMs ?? null,
    reportedSeconds: reported?.[1] === undefined ? null : Number(reported[1]),
    stages: parseStages(output),
    output,
  };
}
