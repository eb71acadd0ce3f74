import { afterEach, describe, expect, it, vi } from 'vitest';
import { createBatcher } from '../src/events/batching.ts';

/**
 * The sinks' retry schedule is the runtime's one backoff rule (backoffDelay, docs/ARCHITECTURE.md):
 * doubling from retryBaseMs, capped at retryMaxMs, with equal jitter from an injected random source,
 * so the schedule is exact under fake timers.
 */
describe('createBatcher retry delays', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('double from retryBaseMs, stop at retryMaxMs, and take the jitter from the random source', async () => {
    vi.useFakeTimers({ now: 0 });
    const sentAt: number[] = [];
    const batcher = createBatcher<number>(
      async () => {
        sentAt.push(Date.now());
        return { ok: false, retry: true, error: 'down' };
      },
      {
        maxBuffer: 10,
        flushIntervalMs: 100,
        batchSize: 10,
        maxAttempts: 6,
        retryBaseMs: 1000,
        retryMaxMs: 4000,
        random: () => 0, // equal jitter at its low end: half the ceiling
      },
    );
    batcher.write(1);
    await vi.advanceTimersByTimeAsync(20_000);
    const gaps = sentAt.slice(1).map((t, i) => t - (sentAt[i] as number));
    // ceilings 1000, 2000, 4000, 4000, 4000 → delays half of each
    expect(sentAt[0]).toBe(100);
    expect(gaps).toEqual([500, 1000, 2000, 2000, 2000]);
    expect(batcher.stats()).toMatchObject({ written: 0, dropped: 1, lastError: 'down' });
  });

  it('spread retries with the random source: never below half the ceiling, never above it', async () => {
    vi.useFakeTimers({ now: 0 });
    const sentAt: number[] = [];
    const batcher = createBatcher<number>(
      async () => {
        sentAt.push(Date.now());
        return { ok: false, retry: true, error: 'down' };
      },
      { maxBuffer: 10, flushIntervalMs: 100, batchSize: 10, maxAttempts: 3, retryBaseMs: 1000, random: () => 0.5 },
    );
    batcher.write(1);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(sentAt.slice(1).map((t, i) => t - (sentAt[i] as number))).toEqual([750, 1500]);
  });
});
