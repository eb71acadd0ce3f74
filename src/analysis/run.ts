import { loadProject } from '../config/index.ts';
import type { CanaryResource, Diagnostic, Experiment, ModelRolloutResource, Project } from '../config/index.ts';
import {
  openStore,
  storeOptionsFromEnv,
  type DatabaseSelection,
  type EventStore,
  type EvidenceFilter,
} from '@switchyard/data';
import { lookAtCanary, lookAtExperiment, lookAtShadow } from './decision-looks.ts';
import type { Analysis } from './types.ts';

export type AnalysisTarget = 'experiment' | 'shadow' | 'canary';

/** Finds the resource an analysis is about; a problem comes back as a diagnostic with a stable code. */
export function findTarget(
  project: Project,
  target: AnalysisTarget,
  id: string,
): { experiment: Experiment } | { rollout: ModelRolloutResource } | { canary: CanaryResource } | Diagnostic {
  const problem = (code: string, message: string, hint: string): Diagnostic => ({
    code,
    severity: 'error',
    message,
    hint,
    file: '.',
    line: 1,
    col: 1,
  });
  if (target === 'experiment') {
    const experiment = project.experiments.get(id);
    if (!experiment)
      return problem(
        'E_ANALYZE_UNKNOWN',
        `no experiment '${id}'`,
        `known: ${[...project.experiments.keys()].join(', ') || '(none)'}`,
      );
    return { experiment };
  }
  const want = target === 'shadow' ? 'ModelRollout' : 'Canary';
  const resource = project.rollouts.get(id);
  const known = [...project.rollouts.values()].filter((r) => r.kind === want).map((r) => ('flag' in r ? r.flag : ''));
  if (!resource || resource.kind !== want)
    return problem('E_ANALYZE_UNKNOWN', `no ${want} '${id}'`, `known: ${known.join(', ') || '(none)'}`);
  return resource.kind === 'ModelRollout' ? { rollout: resource } : { canary: resource as CanaryResource };
}

export interface RunOptions {
  filter?: EvidenceFilter;
  minPairs?: number;
  alpha?: number;
}

/** Reads the evidence for one target from an open store and analyses it (one look: the sequential state is stored). */
export async function runAnalysis(
  store: EventStore,
  project: Project,
  target: AnalysisTarget,
  id: string,
  options: RunOptions = {},
): Promise<Analysis | Diagnostic> {
  const found = findTarget(project, target, id);
  if ('code' in found) return found;
  const filter = options.filter ?? {};
  if ('experiment' in found) return lookAtExperiment(store, found.experiment, { filter, alpha: options.alpha });
  if ('rollout' in found) return lookAtShadow(store, found.rollout, { filter, minPairs: options.minPairs });
  return lookAtCanary(store, found.canary, { filter, alpha: options.alpha });
}

/** Loads the project at `root`; returns its diagnostics when it cannot be used. */
export async function loadProjectForAnalysis(root: string): Promise<{ project: Project } | { errors: Diagnostic[] }> {
  const loaded = await loadProject(root);
  if (!loaded.value || loaded.errors.length > 0) return { errors: loaded.errors };
  return { project: loaded.value };
}

/** Opens the project's store (embedded PGlite by default, PostgreSQL with a URL). */
export function openProjectStore(
  root: string,
  env: NodeJS.ProcessEnv,
  selection: DatabaseSelection = {},
): Promise<EventStore> {
  return openStore(storeOptionsFromEnv(root, env, selection));
}
