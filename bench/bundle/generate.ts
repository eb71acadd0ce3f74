/** A generated project of a given size, in memory, shaped like a large real organisation. */

import type { Project, PromptVersion, RolloutResource, Experiment, ModelPin } from '../../src/config/types.ts';

/** Splits `total` resources over the kinds in roughly the proportions of a large organisation. */
export function generatedProject(total = 5000): Project {
  const n = (share: number) => Math.max(1, Math.round(total * share));
  const counts = {
    models: n(0.05),
    promptVersions: n(0.3),
    experiments: n(0.05),
    flags: n(0.4),
    modelRollouts: n(0.05),
    canaries: n(0.1),
    embedding: n(0.03),
    schema: n(0.02),
  };
  const models = new Map<string, ModelPin>();
  for (let i = 0; i < counts.models; i++) {
    models.set(`model-${i}`, {
      alias: `model-${i}`,
      provider: { type: 'openai' },
      snapshot: 'gpt-4o-2024-05-13',
      params: { temperature: 0.2, max_tokens: 512 },
      conversations: 'pinned',
      retired: [],
    });
  }
  const prompts = new Map<string, Map<number, PromptVersion>>();
  const promptCount = Math.ceil(counts.promptVersions / 2);
  for (let i = 0; i < promptCount; i++) {
    const versions = new Map<number, PromptVersion>();
    for (let v = 1; v <= 2 && versions.size + i * 2 < counts.promptVersions; v++) {
      versions.set(v, {
        prompt: `prompt-${i}`,
        version: v,
        status: v === 1 ? 'active' : 'draft',
        model: `model-${i % counts.models}`,
        messages: [
          {
            role: 'system',
            content:
              `You are assistant ${i}, version ${v}. Answer briefly, cite the knowledge base, and never invent order numbers. ` +
              'Be kind. '.repeat(8),
          },
          { role: 'user', content: 'Customer {{name}} asks: {{question}}' },
        ],
        variables: ['name', 'question'],
        tests: { minPassRate: 0.8, cases: [] },
      });
    }
    prompts.set(`prompt-${i}`, versions);
  }
  const experiments = new Map<string, Experiment>();
  for (let i = 0; i < counts.experiments; i++) {
    experiments.set(`exp-${i}`, {
      experiment: `exp-${i}`,
      status: 'running',
      prompt: `prompt-${i % promptCount}`,
      unit: 'userId',
      traffic: 20,
      variants: {
        control: { version: 1, weight: 50 },
        treatment: { version: prompts.get(`prompt-${i % promptCount}`)!.has(2) ? 2 : 1, weight: 50 },
      },
      metrics: { primary: 'csat', guardrails: ['latency_ms'] },
      minSamples: 1000,
    });
  }
  const rollouts = new Map<string, RolloutResource>();
  const add = (name: string, r: RolloutResource) => rollouts.set(name, r);
  for (let i = 0; i < counts.flags; i++) {
    add(`flag-${i}`, {
      kind: 'Flag',
      flag: `flag-${i}`,
      percent: [1, 5, 25, 100][i % 4]!,
      stages: [1, 5, 25, 100],
      killed: i % 17 === 0,
      unit: 'userId',
      environments: { production: { percent: 1 } },
    });
  }
  for (let i = 0; i < counts.modelRollouts; i++) {
    add(`rollout-${i}`, {
      kind: 'ModelRollout',
      flag: `rollout-${i}`,
      model: `model-${i % counts.models}`,
      to: 'gpt-4o-2024-08-06',
      percent: 5,
      stages: [1, 5, 25, 100],
      killed: false,
      unit: 'userId',
      shadow: { dataset: 'sample', sampleRate: 0.05, gate: { minAvgSimilarity: 0.9, minMinSimilarity: 0.7 } },
    });
  }
  for (let i = 0; i < counts.canaries; i++) {
    add(`canary-${i}`, {
      kind: 'Canary',
      flag: `canary-${i}`,
      percent: 10,
      stages: [10, 25, 50, 100],
      killed: false,
      unit: 'userId',
      control: { embeddingModel: 'text-embedding-3-small', retrieval: 'semantic', topK: 5, index: `idx-${i}` },
      candidate: { embeddingModel: 'text-embedding-3-large', retrieval: 'hybrid', topK: 10, index: `idx-${i}-large` },
      analysis: { metric: 'relevance', revertBelow: 0.95, advanceAbove: 1.05, minSamples: 500 },
    });
  }
  const phases = ['dual-write', 'backfill', 'dual-read', 'cutover', 'complete'] as const;
  for (let i = 0; i < counts.embedding; i++) {
    add(`emb-${i}`, {
      kind: 'EmbeddingMigration',
      migration: `emb-${i}`,
      phase: phases[i % 5]!,
      from: { model: 'text-embedding-3-small', dimension: 1536, index: `e-${i}-small` },
      to: { model: 'text-embedding-3-large', dimension: 3072, index: `e-${i}-large` },
      backfill: { batchSize: 100, concurrency: 4 },
    });
  }
  for (let i = 0; i < counts.schema; i++) {
    add(`schema-${i}`, {
      kind: 'SchemaMigration',
      migration: `schema-${i}`,
      entity: `entity-${i}`,
      from: 1,
      to: 2,
      mode: 'lazy',
      upgrade: { add: { tags: [] } },
      batchSize: 500,
    });
  }
  return {
    root: '/generated',
    settings: {
      project: 'generated',
      environments: [{ name: 'staging' }, { name: 'production' }],
      signing: { trustedKeys: [], expiresAfter: '30d' },
      publish: { target: 'dist/published' },
      defaults: { minPassRate: 0.8, shadowGate: { minAvgSimilarity: 0.9, minMinSimilarity: 0.7 } },
      eval: { concurrency: 4 },
    },
    prompts,
    models,
    experiments,
    rollouts,
    datasets: new Map(),
    files: new Map(),
  };
}

/** Number of resources in a project (every YAML resource: versions, models, experiments, rollouts). */
export function resourceCount(p: Project): number {
  let versions = 0;
  for (const v of p.prompts.values()) versions += v.size;
  return versions + p.models.size + p.experiments.size + p.rollouts.size;
}
