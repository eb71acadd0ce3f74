import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { planShards } from '../../src/eval/shard-plan.ts';
import { makeDemoRepo, type DemoRepo } from './demo-repo.ts';
import { testIo } from './io.ts';

const repos: DemoRepo[] = [];
afterAll(() => Promise.all(repos.map((r) => r.cleanup())));

describe('shard count from the change', () => {
  it('one shard per block of cases, at least one, at most max', () => {
    expect(planShards(0)).toEqual({ cases: 0, shards: 1, matrix: ['1/1'] });
    expect(planShards(40, 40)).toMatchObject({ shards: 1 });
    expect(planShards(41, 40)).toEqual({ cases: 41, shards: 2, matrix: ['1/2', '2/2'] });
    expect(planShards(10_000, 40, 8)).toMatchObject({ shards: 8 });
  });

  it('switchyard eval --plan counts what the change evaluates and writes the step outputs', async () => {
    const r = await makeDemoRepo();
    repos.push(r);
    await r.edit('models/chat.yaml', (t) => t.replace('snapshot: gpt-4o-2024-05-13', 'snapshot: gpt-4o-2024-11-20'));
    r.commit('pin change: every chat prompt is re-evaluated');
    const io = testIo(r.dir);
    expect(await main(['eval', '--base', 'HEAD~1', '--plan', '--cases-per-shard', '4'], io)).toBe(0);
    // 9 head cases on the new snapshot + 5 cases of what the base serves (for the deltas).
    expect(JSON.parse(io.out[0] ?? '')).toEqual({ cases: 14, shards: 4, matrix: ['1/4', '2/4', '3/4', '4/4'] });

    const none = testIo(r.dir);
    expect(await main(['eval', '--base', 'HEAD', '--plan'], none)).toBe(0);
    expect(JSON.parse(none.out[0] ?? '')).toEqual({ cases: 0, shards: 1, matrix: ['1/1'] });
  });
});
