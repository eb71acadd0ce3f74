import { describe, expect, it } from 'vitest';
import { bucketOf } from '@switchyard/runtime/bundle';
import { changedShare, newlyGetting, shareOf, split, uniform, type Allocation } from '../../src/gate/index.ts';

/** The share a real population of units gets, by hashing them as the runtime does. */
function sampled(base: Allocation, head: Allocation, value: string, n = 20_000): number {
  const at = (a: Allocation, unit: string): string => {
    if (a.seed === null) return a.segments[0]!.value;
    const b = bucketOf(a.seed, unit);
    return a.segments.find((s) => b >= s.start && b < s.end)!.value;
  };
  let newly = 0;
  for (let i = 0; i < n; i++) {
    const unit = `user-${i}`;
    if (at(head, unit) === value && at(base, unit) !== value) newly++;
  }
  return (newly / n) * 1_000_000;
}

describe('exposure arithmetic', () => {
  it('same seed: widening only adds units, narrowing newly exposes nobody', () => {
    const at5 = split('s', 50_000, 'on', 'off');
    const at25 = split('s', 250_000, 'on', 'off');
    expect(newlyGetting(at5, at25, 'on')).toBe(200_000);
    expect(newlyGetting(at25, at5, 'on')).toBe(0);
    expect(newlyGetting(at25, at5, 'off')).toBe(200_000);
    expect(changedShare(at5, at25)).toBe(200_000);
    expect(shareOf(at25, 'on')).toBe(250_000);
  });

  it('a new seed reshuffles: the expected newly exposed share is h × (1 − b), as hashing real units shows', () => {
    const before = split('seed-a', 50_000, 'on', 'off');
    const after = split('seed-b', 250_000, 'on', 'off');
    const computed = newlyGetting(before, after, 'on');
    expect(computed).toBe(237_500);
    // Same percent, new seed: most of the audience is new even though the share did not move.
    expect(newlyGetting(split('seed-a', 250_000, 'on', 'off'), split('seed-b', 250_000, 'on', 'off'), 'on')).toBe(
      187_500,
    );
    expect(Math.abs(sampled(before, after, 'on') - computed)).toBeLessThan(8_000);
  });

  it('a uniform side is exact whatever the seeds', () => {
    expect(newlyGetting(uniform('A'), split('x', 300_000, 'B', 'A'), 'B')).toBe(300_000);
    expect(newlyGetting(split('x', 300_000, 'B', 'A'), uniform('B'), 'B')).toBe(700_000);
    expect(changedShare(uniform('A'), uniform('A'))).toBe(0);
  });
});
