/**
 * Loading head and base for the evaluator commands, and where they keep their files
 * (`<root>/.switchyard/…`, ignored by git).
 */
import { join } from 'node:path';
import { loadProject, loadProjectAtRef } from '../config/index.ts';
import type { Diagnostic } from '../config/diagnostics.ts';
import type { Project } from '../config/types.ts';
import { headCommit, isGitRepo } from '../git/index.ts';

export interface Workspace {
  root: string;
  head: Project | undefined;
  base: Project | undefined;
  baseRef: string | null;
  commit: string | null;
  errors: Diagnostic[];
  warnings: Diagnostic[];
}

export const resultsDir = (root: string): string => join(root, '.switchyard', 'results');
export const reportDir = (root: string): string => join(root, '.switchyard', 'report');

/** Default output of `eval` for a shard. */
export function evalResultPath(root: string, shard: { index: number; count: number }): string {
  return join(resultsDir(root), shard.count === 1 ? 'eval.json' : `eval-shard-${shard.index}-of-${shard.count}.json`);
}

export const shadowResultPath = (root: string): string => join(resultsDir(root), 'shadow.json');

/** Loads the working tree (with history rules against `baseRef`) and the base tree. */
export async function openWorkspace(root: string, baseRef: string | undefined): Promise<Workspace> {
  const head = await loadProject(root, baseRef === undefined ? {} : { base: baseRef });
  let base: Project | undefined;
  const errors = [...head.errors];
  if (baseRef !== undefined) {
    const loaded = await loadProjectAtRef(root, baseRef);
    base = loaded.value;
    // Base errors matter only when the base cannot be read at all: it was merged already.
    if (!base) errors.push(...loaded.errors);
  }
  let commit: string | null = null;
  if (await isGitRepo(root)) commit = await headCommit(root).catch(() => null);
  return { root, head: head.value, base, baseRef: baseRef ?? null, commit, errors, warnings: head.warnings };
}
