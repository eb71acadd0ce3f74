import { resolve } from 'node:path';
import { GitError } from '../git/index.ts';
import { buildProject } from './build-project.ts';
import { crossCheck } from './cross-checks.ts';
import { checkFileRefsReadable } from './file-refs-check.ts';
import type { Checked, Diagnostic } from './diagnostics.ts';
import { DirectorySource } from './dir-source.ts';
import type { FileSource } from './file-source.ts';
import { GitRefSource } from './git-source.ts';
import { referencedFilesCheck } from './history-files.ts';
import { historyCheck } from './history.ts';
import { LIMITS } from './limits.ts';
import { compareDiagnostics, makeDiagnostic } from './make-diagnostic.ts';
import { PoolStarter } from './parse-pool.ts';
import { readResources, type ParsedRepo } from './read-resources.ts';
import { loadTestsFiles } from './tests-file.ts';
import type { Project } from './types.ts';

export interface LoadOptions {
  /** A git ref (branch, tag, sha): adds the history rules, comparing against the project at that ref. */
  base?: string;
  /** Overrides the size and depth limits (tests use small ones). */
  limits?: typeof LIMITS;
}

/** A loaded project together with the parsed files it came from (positions for later checks). */
export interface LoadedRepo {
  project: Project | undefined;
  repo: ParsedRepo;
}

/**
 * Loads and validates a Switchyard repository from the working tree: every resource is read, parsed,
 * schema-checked and cross-checked, and with `base` the history rules are applied. All problems are
 * reported at once; `value` is built whenever the settings parsed, but callers must treat
 * `errors.length > 0` as "do not proceed".
 */
export async function loadProject(root: string, options: LoadOptions = {}): Promise<Checked<Project>> {
  const absolute = resolve(root);
  const limits = options.limits ?? LIMITS;
  const workers = new PoolStarter(limits.maxAliasCount);
  try {
    const head = await loadFromSource(new DirectorySource(absolute, limits), limits, workers);
    if (options.base !== undefined && head.project) {
      const base = await loadFromSource(new GitRefSource(absolute, options.base, limits), limits, workers);
      if (base.failure) {
        head.repo.errors.push(
          makeDiagnostic('E_BASE_UNREADABLE', '.', `cannot read base '${options.base}': ${base.failure}`),
        );
      } else if (base.project) {
        historyCheck(base.project, head.project, head.repo);
        await referencedFilesCheck(base.project, head.project, head.repo);
      }
    }
    return finish(head);
  } finally {
    workers.close();
  }
}

/**
 * The same loader over the tree of a git commit, without touching the working tree (base vs head
 * comparisons, history rules, compiling a past commit).
 */
export async function loadProjectAtRef(
  root: string,
  ref: string,
  options: { limits?: typeof LIMITS } = {},
): Promise<Checked<Project>> {
  const loaded = await loadFromSource(new GitRefSource(resolve(root), ref, options.limits ?? LIMITS), options.limits);
  if (loaded.failure) {
    return {
      value: undefined,
      errors: [makeDiagnostic('E_REF_UNREADABLE', '.', `cannot read '${ref}': ${loaded.failure}`)],
      warnings: [],
    };
  }
  return finish(loaded);
}

/**
 * Loads from any file source; `failure` says why the source itself could not be read. Parse workers
 * for a large repository start as soon as the files are listed (they boot while the files are read);
 * pass `workers` to share them between loads, otherwise they are stopped before this returns.
 */
export async function loadFromSource(
  source: FileSource,
  limits: typeof LIMITS = LIMITS,
  workers?: PoolStarter,
): Promise<LoadedRepo & { failure?: string }> {
  const starter = workers ?? new PoolStarter(limits.maxAliasCount);
  let files;
  let repo: ParsedRepo;
  try {
    try {
      files = await source.readAll({ onListed: starter.onListed });
    } catch (error) {
      const failure =
        error instanceof GitError
          ? error.message
          : `${(error as NodeJS.ErrnoException).code ?? 'error'}: ${(error as Error).message}`;
      return {
        project: undefined,
        repo: { resources: [], datasets: [], errors: [], warnings: [], present: new Set() },
        failure,
      };
    }
    repo = await readResources(files, limits, starter.current);
    // Cases kept in a file of their own, read from the same side as the resources (tests-file.ts).
    await loadTestsFiles(repo, source.reader(), limits);
    await checkFileRefsReadable(repo, source.reader());
  } finally {
    if (!workers) starter.close();
  }
  if (!repo.resources.some((r) => r.kind === 'settings') && !files.some((f) => f.path === 'switchyard.yaml')) {
    repo.errors.push(
      makeDiagnostic('E_NO_SETTINGS', 'switchyard.yaml', `no switchyard.yaml in ${source.root} (${source.label}).`),
    );
  }
  const project = buildProject(source.root, repo);
  if (project && source.commit !== undefined) project.commit = source.commit;
  if (project) crossCheck(project, repo);
  return { project, repo };
}

function finish(loaded: LoadedRepo & { failure?: string }): Checked<Project> {
  const errors: Diagnostic[] = [...loaded.repo.errors];
  if (loaded.failure) errors.push(makeDiagnostic('E_READ_FAILED', '.', loaded.failure));
  return {
    value: loaded.project,
    errors: errors.sort(compareDiagnostics),
    warnings: [...loaded.repo.warnings].sort(compareDiagnostics),
  };
}
