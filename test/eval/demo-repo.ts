/**
 * Temporary git repositories made from the demo organisation, for base/head scenarios. Commits use
 * a fixed author and date so commit ids are reproducible.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');
const DEMO = ['switchyard.yaml', 'prompts', 'models', 'experiments', 'rollouts', 'datasets'];

const GIT_ENV = {
  GIT_AUTHOR_NAME: 'Switchyard Test',
  GIT_AUTHOR_EMAIL: 'test@example.invalid',
  GIT_COMMITTER_NAME: 'Switchyard Test',
  GIT_COMMITTER_EMAIL: 'test@example.invalid',
  GIT_AUTHOR_DATE: '2025-01-01T00:00:00Z',
  GIT_COMMITTER_DATE: '2025-01-01T00:00:00Z',
  GIT_CONFIG_NOSYSTEM: '1',
  HOME: tmpdir(),
};

export interface DemoRepo {
  dir: string;
  git(...args: string[]): string;
  /** Commits everything in the working tree. */
  commit(message: string): string;
  read(path: string): Promise<string>;
  /** Rewrites a file with `edit(text)`; throws when the edit changes nothing (a test bug). */
  edit(path: string, edit: (text: string) => string): Promise<void>;
  cleanup(): Promise<void>;
}

export async function makeDemoRepo(): Promise<DemoRepo> {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-eval-'));
  for (const entry of DEMO) await cp(join(REPO_ROOT, entry), join(dir, entry), { recursive: true });
  return commitDemoRepo(dir);
}

/**
 * Turns a directory holding the demo files into a git repository with one commit on `main`
 * (`.switchyard/` ignored), and returns the `DemoRepo` handle the scenarios and benches use.
 */
export function commitDemoRepo(dir: string): DemoRepo {
  writeFileSync(join(dir, '.gitignore'), '.switchyard/\n');
  const git = (...args: string[]) =>
    execFileSync('git', args, { cwd: dir, env: { ...process.env, ...GIT_ENV }, encoding: 'utf8' }).trim();
  git('init', '-q', '-b', 'main');
  const repo: DemoRepo = {
    dir,
    git,
    commit(message) {
      git('add', '-A');
      git('commit', '-q', '-m', message);
      return git('rev-parse', 'HEAD');
    },
    read: (path) => readFile(join(dir, path), 'utf8'),
    async edit(path, change) {
      const before = await readFile(join(dir, path), 'utf8');
      const after = change(before);
      if (after === before) throw new Error(`edit of ${path} changed nothing`);
      await writeFile(join(dir, path), after);
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
  repo.commit('demo organisation');
  return repo;
}

/** The demo organisation's PR: rollout 5 → 25, summarization v2 active, v1 deprecated, experiment stopped. */
export async function applyDemoPr(repo: DemoRepo): Promise<void> {
  await repo.edit('rollouts/chat-gpt-4o-2024-08-06.yaml', (t) => t.replace(/^percent: 5$/m, 'percent: 25'));
  await repo.edit('prompts/summarization/v2.yaml', (t) => t.replace(/^status: draft$/m, 'status: active'));
  await repo.edit('prompts/summarization/v1.yaml', (t) => t.replace(/^status: active$/m, 'status: deprecated'));
  // v2 won the A/B test: stop it (a running experiment must not serve a deprecated version).
  await repo.edit('experiments/summarization-v1-vs-v2.yaml', (t) => t.replace(/^status: running$/m, 'status: stopped'));
}
