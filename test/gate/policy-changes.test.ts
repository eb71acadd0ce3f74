import { describe, expect, it } from 'vitest';
import { loadProject } from '../../src/config/index.ts';
import type { CanaryResource, ModelRolloutResource, Project } from '../../src/config/types.ts';
import { policyChanges } from '../../src/gate/policy.ts';
import { REPO_ROOT } from '../eval/demo-repo.ts';

async function demo(): Promise<Project> {
  const loaded = await loadProject(REPO_ROOT);
  if (!loaded.value) throw new Error('the demo organisation does not load');
  return loaded.value;
}

/** Pins every threshold clause of policyChanges: subject, pointer, direction and text, in order. */
describe('policyChanges (every threshold, on the demo organisation)', () => {
  it('finds nothing when nothing moved', async () => {
    const base = await demo();
    expect(policyChanges(base, structuredClone(base))).toEqual([]);
  });

  it('reports each moved threshold once, project settings first, in a stable order', async () => {
    const base = await demo();
    const head = structuredClone(base);
    const hs = head.settings;
    const bs = base.settings;
    hs.defaults.minPassRate = bs.defaults.minPassRate - 0.1;
    hs.defaults.shadowGate.minAvgSimilarity = bs.defaults.shadowGate.minAvgSimilarity + 0.01;
    hs.defaults.shadowGate.minMinSimilarity = bs.defaults.shadowGate.minMinSimilarity - 0.01;
    hs.gate = { ...hs.gate, firstStagePercent: 20 };
    const model = head.rollouts.get('chat-gpt-4o-2024-08-06') as ModelRolloutResource;
    model.stages = [1, 25, 100];
    model.shadow.gate.minAvgSimilarity -= 0.05;
    model.shadow.gate.minMinSimilarity += 0.05;
    const canary = head.rollouts.get('rag-hybrid-large') as CanaryResource;
    canary.stages = [5, 10, 25, 50, 100];
    canary.analysis.revertBelow -= 0.01;
    canary.analysis.advanceAbove += 0.01;
    canary.analysis.minSamples += 1;
    head.experiments.get('summarization-v1-vs-v2')!.minSamples -= 1;

    const changes = policyChanges(base, head);
    expect(changes.map((c) => [c.subject, c.pointer, c.direction])).toEqual([
      ['switchyard', '/defaults/minPassRate', 'loosened'],
      ['switchyard', '/defaults/shadowGate/minAvgSimilarity', 'tightened'],
      ['switchyard', '/defaults/shadowGate/minMinSimilarity', 'loosened'],
      ['switchyard', '/gate/firstStagePercent', 'loosened'],
      ['chat-gpt-4o-2024-08-06', '/stages', 'loosened'],
      ['chat-gpt-4o-2024-08-06', '/shadow/gate/minAvgSimilarity', 'loosened'],
      ['chat-gpt-4o-2024-08-06', '/shadow/gate/minMinSimilarity', 'tightened'],
      ['rag-hybrid-large', '/stages', 'tightened'],
      ['rag-hybrid-large', '/analysis/revertBelow', 'loosened'],
      ['rag-hybrid-large', '/analysis/advanceAbove', 'tightened'],
      ['rag-hybrid-large', '/analysis/minSamples', 'tightened'],
      ['summarization-v1-vs-v2', '/minSamples', 'loosened'],
    ]);
    expect(changes.find((c) => c.pointer === '/gate/firstStagePercent')).toMatchObject({
      file: 'switchyard.yaml',
      text: 'gate.firstStagePercent: 10 → 20',
    });
    expect(changes.find((c) => c.subject === 'chat-gpt-4o-2024-08-06' && c.pointer === '/stages')?.text).toBe(
      'chat-gpt-4o-2024-08-06: stages [1, 5, 25, 100] → [1, 25, 100] (drops 5)',
    );
    expect(changes.find((c) => c.pointer === '/analysis/minSamples')?.text).toMatch(
      /^rag-hybrid-large: analysis\.minSamples: \d+ → \d+$/,
    );
    expect(changes.find((c) => c.pointer === '/shadow/gate/minMinSimilarity')?.text).toMatch(
      /^chat-gpt-4o-2024-08-06: shadow\.gate\.minMinSimilarity: /,
    );
    expect(changes.find((c) => c.pointer === '/minSamples')?.file).toMatch(/experiments\/.*\.yaml$/);
  });
});
