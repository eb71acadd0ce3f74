import { resolve } from 'node:path';
import { StoreError, type EventStore } from '@switchyard/data';
import { loadProjectForAnalysis, openProjectStore } from '../analysis/index.ts';
import type { Project } from '../config/index.ts';
import type { CommandIo } from './command.ts';
import { databaseSelection } from './database-options.ts';
import { printDiagnostics } from './format-diagnostics.ts';

/** What an evidence command works on: the validated project and its open event store. */
export interface Evidence {
  root: string;
  project: Project;
  store: EventStore;
}

/**
 * Loads the project and opens its event store for an evidence command (`analyze`, `plan`,
 * `propose`). A project that does not validate is printed with its diagnostics and a store that
 * cannot be opened with its stable code, both on stderr; either yields exit code 1. `invalid` is
 * what the command says about an invalid tree. The caller closes the store.
 */
export async function openEvidence(
  command: string,
  values: { root?: string; 'database-url'?: string; 'data-dir'?: string; schema?: string },
  io: CommandIo,
  invalid = 'fix it first (switchyard validate)',
): Promise<Evidence | 1> {
  const database = databaseSelection(values, io);
  const root = resolve(io.cwd, values.root ?? '.');
  const loaded = await loadProjectForAnalysis(root);
  if ('errors' in loaded) {
    io.stderr(`switchyard ${command}: the project does not validate; ${invalid}:`);
    printDiagnostics(io, loaded.errors);
    return 1;
  }
  try {
    return { root, project: loaded.project, store: await openProjectStore(root, io.env, database) };
  } catch (error) {
    io.stderr(
      `switchyard ${command}: ${error instanceof StoreError ? error.code : 'E_STORE_OPEN'} ${(error as Error).message}`,
    );
    return 1;
  }
}
