import { describe, expect, it } from 'vitest';
import { loadProject } from '../../src/config/index.ts';
import type { Project } from '../../src/config/types.ts';
import { judgeChange } from '../../src/gate/index.ts';
import { REPO_ROOT } from '../eval/demo-repo.ts';

const locate = () => ({ line: 1, col: 1 });

async function demo(): Promise<Project> {
  const loaded = await loadProject(REPO_ROOT);
  if (!loaded.value) throw new Error('the demo organisation does not load');
  return loaded.value;
}

describe('judgeChange (pure, on the demo organisation)', () => {
  it('an unchanged project exposes nobody and finds nothing', async () => {
    const p = await demo();
    const v = judgeChange(p, structuredClone(p), { locate });
    expect(v.exposure).toEqual([]);
    expect(v.errors).toEqual([]);
    expect(v.policy.source).toBe('base');
  });

  it('a policy change alone is reported (warning), with the base policy applied', async () => {
    const base = await demo();
    const head = structuredClone(base);
    head.settings.defaults.minPassRate = 0.5;
    const v = judgeChange(base, head, { locate });
    expect(v.errors).toEqual([]);
    expect(v.warnings.map((w) => w.code)).toEqual(['W_GATE_POLICY_CHANGE']);
    expect(v.policy.minPassRate).toBe(0.8);
    expect(v.policyChanges[0]).toMatchObject({ direction: 'loosened', pointer: '/defaults/minPassRate' });
  });

  it('says so when the base cannot be compiled instead of passing silently', async () => {
    const head = await demo();
    const base = structuredClone(head);
    base.experiments.get('summarization-v1-vs-v2')!.variants.treatment!.version = 99;
    const v = judgeChange(base, head, { locate });
    expect(v.warnings.filter((w) => w.code === 'W_GATE_BASE_UNCOMPILED').map((w) => w.message.split(':')[0])).toEqual([
      'staging',
      'production',
    ]);
  });
});
