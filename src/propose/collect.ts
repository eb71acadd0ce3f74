import {
  lookAtCanary,
  lookAtExperiment,
  lookAtShadow,
  type CanaryAnalysis,
  type ExperimentAnalysis,
  type ShadowAnalysis,
} from '../analysis/index.ts';
import { effectivePercent } from '../bundle/effective-percent.ts';
import type { CanaryResource, ModelRolloutResource, Project } from '../config/types.ts';
import type { EventStore, EvidenceFilter } from '@switchyard/data';

/** The resource as one environment sees it (percent and kill switch after its override). */
function inEnv<T extends CanaryResource | ModelRolloutResource>(r: T, env: string | undefined): T {
  const { percent, killed } = effectivePercent(r, env);
  return { ...r, percent, killed };
}

/**
 * Analyses every running experiment and every live canary and model rollout (killed ones are left
 * alone); each is one look of its sequential decision (state read from and written to the store). With `filter.env`, canaries and rollouts are judged at that environment's effective
 * percent and kill switch.
 */
export async function collectDecisions(
  store: EventStore,
  project: Project,
  options: { filter?: EvidenceFilter; minPairs?: number } = {},
): Promise<Array<CanaryAnalysis | ShadowAnalysis | ExperimentAnalysis>> {
  const out: Array<CanaryAnalysis | ShadowAnalysis | ExperimentAnalysis> = [];
  for (const id of [...project.experiments.keys()].sort()) {
    const experiment = project.experiments.get(id)!;
    if (experiment.status === 'running')
      out.push(await lookAtExperiment(store, experiment, { filter: options.filter }));
  }
  const names = [...project.rollouts.keys()].sort();
  for (const name of names) {
    const r = project.rollouts.get(name)!;
    if (r.kind === 'Canary') {
      const canary = inEnv(r as CanaryResource, options.filter?.env);
      if (!canary.killed) out.push(await lookAtCanary(store, canary, { filter: options.filter }));
    } else if (r.kind === 'ModelRollout') {
      const rollout = inEnv(r as ModelRolloutResource, options.filter?.env);
      if (!rollout.killed)
        out.push(await lookAtShadow(store, rollout, { filter: options.filter, minPairs: options.minPairs }));
    }
  }
  return out;
}
