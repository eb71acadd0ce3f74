import type { CanaryResource, Experiment, ModelRolloutResource } from '../config/types.ts';
import type { EventStore, EvidenceFilter } from '@switchyard/data';
import { analyzeCanary } from './canary.ts';
import { loadCanaryEvidence, loadExperimentEvidence, loadShadowEvidence } from './evidence.ts';
import { analyzeExperiment } from './experiment.ts';
import { analyzeShadow, type ShadowOptions } from './shadow.ts';
import type { CanaryAnalysis, ExperimentAnalysis, ShadowAnalysis } from './types.ts';

/**
 * One look at a decision, with its sequential state: read the state stored by earlier looks,
 * analyse, store the new state. A look narrowed by `sinceMs` sees a different sample than the
 * running decision, so it reads the state but never writes it.
 */
async function look<T extends { state: Record<string, unknown> }>(
  store: EventStore,
  scope: 'experiment' | 'canary',
  id: string,
  filter: EvidenceFilter,
  analyse: (state: Awaited<ReturnType<EventStore['decisionState']['load']>>) => Promise<T>,
): Promise<T> {
  const env = filter.env ?? '';
  const state = await store.decisionState.load(scope, id, env);
  const result = await analyse(state);
  if (filter.sinceMs === undefined) await store.decisionState.save(scope, id, env, result.state as typeof state);
  return result;
}

export interface LookOptions {
  filter?: EvidenceFilter;
  alpha?: number;
}

/** Analyses an experiment from the store as one look of the sequential decision. */
export function lookAtExperiment(
  store: EventStore,
  experiment: Experiment,
  options: LookOptions = {},
): Promise<ExperimentAnalysis> {
  const filter = options.filter ?? {};
  return look(store, 'experiment', experiment.experiment, filter, async (state) =>
    analyzeExperiment(experiment, await loadExperimentEvidence(store.queries, experiment, filter), {
      alpha: options.alpha,
      state,
    }),
  );
}

/** Analyses a canary from the store as one look of the sequential decision. */
export function lookAtCanary(
  store: EventStore,
  canary: CanaryResource,
  options: LookOptions = {},
): Promise<CanaryAnalysis> {
  const filter = options.filter ?? {};
  return look(store, 'canary', canary.flag, filter, async (state) =>
    analyzeCanary(canary, await loadCanaryEvidence(store.queries, canary, filter), { alpha: options.alpha, state }),
  );
}

/** Analyses a model rollout's shadow pairs (no sequential state: the gate is a threshold rule). */
export async function lookAtShadow(
  store: EventStore,
  rollout: ModelRolloutResource,
  options: { filter?: EvidenceFilter } & ShadowOptions = {},
): Promise<ShadowAnalysis> {
  return analyzeShadow(rollout, await loadShadowEvidence(store.queries, rollout, options.filter ?? {}), options);
}
