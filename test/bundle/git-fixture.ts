/** Real git repositories for bundle tests: the demo organisation copied into a temp repo. */

import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');
const CONFIG = ['switchyard.yaml', 'prompts', 'models', 'experiments', 'rollouts', 'datasets'];

// Commit times near the real clock (manifests expire 30 days after their commit time), one minute apart.
let clock = Math.floor(Date.now() / 1000) - 86_400;

export function git(cwd: string, ...args: string[]): string {
  clock += 60;
  const date = `${clock} +0000`;
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'Test',
      GIT_AUTHOR_EMAIL: 'test@example.invalid',
      GIT_COMMITTER_NAME: 'Test',
      GIT_COMMITTER_EMAIL: 'test@example.invalid',
      GIT_AUTHOR_DATE: date,
      GIT_COMMITTER_DATE: date,
      GIT_CONFIG_NOSYSTEM: '1',
      HOME: cwd,
    },
  }).trim();
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `switchyard-${prefix}-`));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** A fresh git repository holding the demo organisation's config, one commit on main. */
export function demoRepo(): string {
  const dir = tempDir('repo');
  for (const entry of CONFIG) cpSync(join(REPO_ROOT, entry), join(dir, entry), { recursive: true });
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '.');
  git(dir, 'commit', '-q', '-m', 'demo organisation');
  return dir;
}

/** Edits a file in place and commits it; returns the new commit id. */
export function commitEdit(dir: string, file: string, from: string, to: string, message: string): string {
  const path = join(dir, file);
  const text = readFileSync(path, 'utf8');
  if (!text.includes(from)) throw new Error(`${file} does not contain ${from}`);
  writeFileSync(path, text.replace(from, to));
  git(dir, 'commit', '-q', '-am', message);
  return git(dir, 'rev-parse', 'HEAD');
}
