/** An in-memory Project shaped like the demo organisation, for compiler tests that need no loader. */

import type { Project, PromptVersion, RolloutResource } from '../../src/config/types.ts';

function version(
  prompt: string,
  n: number,
  status: PromptVersion['status'],
  extra: Partial<PromptVersion> = {},
): PromptVersion {
  return {
    prompt,
    version: n,
    status,
    model: 'chat',
    messages: [
      { role: 'system', content: `You are ${prompt} v${n}.` },
      { role: 'user', content: '{{input}}' },
    ],
    variables: ['input'],
    tests: { minPassRate: 0.8, cases: [] },
    ...extra,
  };
}

export function demoProject(): Project {
  const rollouts: RolloutResource[] = [
    { kind: 'Flag', flag: 'new-onboarding-tips', percent: 25, stages: [1, 5, 25, 100], killed: false, unit: 'userId' },
    {
      kind: 'ModelRollout',
      flag: 'chat-gpt-4o-2024-08-06',
      model: 'chat',
      to: 'gpt-4o-2024-08-06',
      percent: 5,
      stages: [1, 5, 25, 100],
      killed: false,
      unit: 'userId',
      shadow: { dataset: 'chat-prod-sample', sampleRate: 0.05, gate: { minAvgSimilarity: 0.9, minMinSimilarity: 0.7 } },
      environments: { staging: { percent: 25 } },
    },
    {
      kind: 'Canary',
      flag: 'rag-hybrid-large',
      percent: 10,
      stages: [10, 25, 50, 100],
      killed: false,
      unit: 'userId',
      control: { embeddingModel: 'text-embedding-3-small', retrieval: 'semantic', topK: 5, index: 'docs-small' },
      candidate: { embeddingModel: 'text-embedding-3-large', retrieval: 'hybrid', topK: 10, index: 'docs-large' },
      analysis: { metric: 'relevance', revertBelow: 0.95, advanceAbove: 1.05, minSamples: 500 },
    },
    {
      kind: 'EmbeddingMigration',
      migration: 'docs-embeddings-3-large',
      phase: 'dual-write',
      from: { model: 'text-embedding-3-small', dimension: 1536, index: 'docs-small' },
      to: { model: 'text-embedding-3-large', dimension: 3072, index: 'docs-large' },
      backfill: { batchSize: 100, concurrency: 4 },
      environments: { staging: { phase: 'backfill' } },
    },
    {
      kind: 'SchemaMigration',
      migration: 'conversation-schema-v2',
      entity: 'conversation',
      from: 1,
      to: 2,
      mode: 'background',
      upgrade: {
        add: { modelVersion: 'gpt-4o-2024-05-13', metadata: {} },
        addToMessages: { model: 'gpt-4o-2024-05-13' },
        rename: { created: 'createdAt' },
      },
      batchSize: 500,
    },
  ];
  return {
    root: '/somewhere/that/must/not/leak',
    settings: {
      project: 'acme-assistant',
      environments: [{ name: 'staging' }, { name: 'production' }],
      signing: { trustedKeys: [], expiresAfter: '30d' },
      publish: { target: 'dist/published' },
      defaults: { minPassRate: 0.8, shadowGate: { minAvgSimilarity: 0.9, minMinSimilarity: 0.7 } },
      eval: { concurrency: 4 },
    },
    prompts: new Map([
      [
        'summarization',
        new Map([
          [1, version('summarization', 1, 'active')],
          [2, version('summarization', 2, 'draft', { params: { temperature: 0.1 } })],
        ]),
      ],
      ['support-answer', new Map([[1, version('support-answer', 1, 'active')]])],
    ]),
    models: new Map([
      [
        'chat',
        {
          alias: 'chat',
          provider: { type: 'openai' as const },
          snapshot: 'gpt-4o-2024-05-13',
          params: { temperature: 0.2, max_tokens: 512 },
          conversations: 'pinned' as const,
          retired: [],
        },
      ],
    ]),
    experiments: new Map([
      [
        'summarization-v1-vs-v2',
        {
          experiment: 'summarization-v1-vs-v2',
          status: 'running' as const,
          prompt: 'summarization',
          unit: 'userId',
          seed: 'summarization-v1-vs-v2',
          traffic: 20,
          variants: { treatment: { version: 2, weight: 50 }, control: { version: 1, weight: 50 } },
          metrics: { primary: 'agent_satisfaction', guardrails: ['latency_ms', 'cost_usd'] },
          minSamples: 1000,
        },
      ],
    ]),
    rollouts: new Map(
      rollouts.map((r) => [r.kind === 'EmbeddingMigration' || r.kind === 'SchemaMigration' ? r.migration : r.flag, r]),
    ),
    datasets: new Map(),
    files: new Map(),
  };
}
