/**
 * A temporary git repository made from this template: the demo organisation's YAML (plus schemas and
 * workflows) committed on `main`, with a `switchyard` shim on PATH that runs this checkout's CLI.
 * Used by the guide tests and the end-to-end GitOps test.
 */
import { execFile } from 'node:child_process';
import { chmod, cp, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The checkout this test runs from. */
export const SOURCE_ROOT = join(import.meta.dirname, '..', '..');

const TEMPLATE_PATHS = [
  'switchyard.yaml',
  'prompts',
  'models',
  'experiments',
  'rollouts',
  'datasets',
  'schemas',
  '.github',
  'scripts',
  '.gitignore',
  '.nvmrc',
  'trusted-keys.json',
];

export interface TemplateRepo {
  dir: string;
  /** Environment for child processes: PATH with the `switchyard` shim first, git identity, offline. */
  env: NodeJS.ProcessEnv;
  git(...args: string[]): Promise<string>;
  /** Runs a bash snippet in the repo; resolves with the exit code and output (never rejects on exit ≠ 0). */
  sh(script: string, extraEnv?: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }>;
  cleanup(): Promise<void>;
}

export async function makeTemplateRepo(): Promise<TemplateRepo> {
  const base = await mkdtemp(join(tmpdir(), 'switchyard-repo-'));
  const dir = join(base, 'repo');
  const bin = join(base, 'bin');
  await mkdir(dir);
  await mkdir(bin);
  for (const path of TEMPLATE_PATHS) {
    const exists = await stat(join(SOURCE_ROOT, path)).catch(() => undefined);
    if (exists) await cp(join(SOURCE_ROOT, path), join(dir, path), { recursive: true });
  }
  // scripts/*.sh call `node bin/switchyard.mjs` relative to the repo; the temp repo gets a one-line
  // bin that forwards to this checkout, so scripts and guides run exactly as they do in CI.
  await mkdir(join(dir, 'bin'));
  await writeFile(
    join(dir, 'bin', 'switchyard.mjs'),
    `await import(${JSON.stringify(join(SOURCE_ROOT, 'bin', 'switchyard.mjs'))});\n`,
  );
  await writeFile(
    join(bin, 'switchyard'),
    `#!/bin/sh\nexec node ${JSON.stringify(join(SOURCE_ROOT, 'bin', 'switchyard.mjs'))} "$@"\n`,
  );
  await chmod(join(bin, 'switchyard'), 0o755);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${bin}${delimiter}${process.env.PATH ?? ''}`,
    GIT_AUTHOR_NAME: 'Test Author',
    GIT_AUTHOR_EMAIL: 'author@example.invalid',
    GIT_COMMITTER_NAME: 'Test Author',
    GIT_COMMITTER_EMAIL: 'author@example.invalid',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    SWITCHYARD_NO_PUSH: '1',
  };
  delete env.OPENAI_API_KEY;
  delete env.GITHUB_STEP_SUMMARY;
  delete env.GITHUB_OUTPUT;
  const git = async (...args: string[]): Promise<string> => (await run('git', args, { cwd: dir, env })).stdout.trim();
  await git('init', '-q', '-b', 'main');
  await git('add', '-A');
  await git('commit', '-q', '-m', 'Switchyard config repository from the template');
  return {
    dir,
    env,
    git,
    async sh(script, extraEnv = {}) {
      try {
        const { stdout, stderr } = await run('bash', ['-euo', 'pipefail', '-c', script], {
          cwd: dir,
          env: { ...env, ...extraEnv },
          maxBuffer: 64 * 1024 * 1024,
        });
        return { code: 0, stdout, stderr };
      } catch (error) {
        const e = error as { code?: number; stdout?: string; stderr?: string };
        return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
      }
    },
    cleanup: () => rm(base, { recursive: true, force: true }),
  };
}
