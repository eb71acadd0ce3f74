import { describe, expect, it } from 'vitest';
import { backoffDelay, nextDelay } from '../src/tools.ts';

describe('backoffDelay (the one retry-delay rule)', () => {
  it('doubles from baseMs up to maxMs without jitter', () => {
    expect([0, 1, 2, 3, 4, 5, 9].map((a) => backoffDelay(a, { baseMs: 50, maxMs: 2000, jitter: 'none' }))).toEqual([
      50, 100, 200, 400, 800, 1600, 2000,
    ]);
  });

  it('equal jitter stays within [ceiling/2, ceiling]; full jitter within [0, ceiling)', () => {
    for (const r of [0, 0.25, 0.999999]) {
      for (let attempt = 0; attempt < 8; attempt++) {
        const ceiling = Math.min(10_000, 100 * 2 ** attempt);
        const equal = backoffDelay(attempt, { baseMs: 100, maxMs: 10_000, jitter: 'equal', random: () => r });
        expect(equal).toBeGreaterThanOrEqual(ceiling / 2);
        expect(equal).toBeLessThanOrEqual(ceiling);
        const full = backoffDelay(attempt, { baseMs: 100, maxMs: 10_000, random: () => r });
        expect(full).toBeGreaterThanOrEqual(0);
        expect(full).toBeLessThan(ceiling);
      }
    }
  });

  it('never undercuts Retry-After, even above maxMs, and treats a negative attempt as the first', () => {
    expect(backoffDelay(0, { maxMs: 1000, retryAfterMs: 4500.2, jitter: 'none' })).toBe(4501);
    expect(backoffDelay(-3, { baseMs: 70, jitter: 'none' })).toBe(70);
  });

  it("is what the client's poll schedule uses when failing", () => {
    const o = { intervalMs: 30_000, jitter: 0.1, retryBaseMs: 1000, maxBackoffMs: 300_000 };
    for (const failures of [1, 2, 5, 9, 40]) {
      expect(nextDelay(failures, o, () => 0.3)).toBe(
        backoffDelay(failures - 1, { baseMs: 1000, maxMs: 300_000, jitter: 'equal', random: () => 0.3 }),
      );
    }
    expect(nextDelay(1, o, () => 0)).toBe(500);
    expect(nextDelay(0, o, () => 0.5)).toBe(30_000);
  });
});
