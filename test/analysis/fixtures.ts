import type { VariantEvidence } from '../../src/analysis/index.ts';
import type { CanaryResource, Experiment, ModelRolloutResource } from '../../src/config/types.ts';

/** Resources and evidence shared by the decision tests. */

export const experimentFixture: Experiment = {
  experiment: 'exp',
  status: 'running',
  prompt: 'summarization',
  unit: 'userId',
  traffic: 100,
  variants: { control: { version: 1, weight: 50 }, treatment: { version: 2, weight: 50 } },
  metrics: { primary: 'satisfaction', guardrails: ['latency_ms'] },
  minSamples: 1000,
};

export const canaryFixture: CanaryResource = {
  kind: 'Canary',
  flag: 'rag',
  percent: 10,
  stages: [10, 25, 50, 100],
  killed: false,
  unit: 'userId',
  control: { embeddingModel: 'a', retrieval: 'semantic', topK: 5, index: 'x' },
  candidate: { embeddingModel: 'b', retrieval: 'hybrid', topK: 10, index: 'y' },
  analysis: { metric: 'relevance', revertBelow: 0.95, advanceAbove: 1.05, minSamples: 500, next: 25 },
};

export const rolloutFixture: ModelRolloutResource = {
  kind: 'ModelRollout',
  flag: 'chat-next',
  model: 'chat',
  to: 'gpt-4o-2024-08-06',
  percent: 5,
  stages: [1, 5, 25, 100],
  killed: false,
  unit: 'userId',
  shadow: { dataset: 'd', sampleRate: 0.05, gate: { minAvgSimilarity: 0.9, minMinSimilarity: 0.7 } },
};

/** One arm's evidence from its units exposed, units in the estimate, mean and sd. */
export const variantFixture = (
  variant: string,
  exposed: number,
  n: number,
  mean: number,
  sd: number,
  binary = false,
): VariantEvidence => ({
  variant,
  exposed,
  n,
  mean,
  variance: sd * sd,
  binary,
});
