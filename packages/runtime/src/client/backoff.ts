import { backoffDelay } from '../backoff.ts';

/**
 * When to poll next. Pure: the random source is a parameter so the schedule is testable.
 *
 * Healthy: the interval ± `jitter` (so a fleet started together does not poll in lockstep).
 * Failing: exponential backoff from `retryBaseMs`, capped at `maxBackoffMs`, with "equal jitter"
 * (half fixed, half random) so retries spread out but never collapse to zero.
 */
export interface ScheduleOptions {
  intervalMs: number;
  jitter: number;
  retryBaseMs: number;
  maxBackoffMs: number;
}

export function nextDelay(failures: number, o: ScheduleOptions, random: () => number = Math.random): number {
  if (failures <= 0) {
    const spread = o.intervalMs * o.jitter;
    return Math.max(0, Math.round(o.intervalMs - spread + 2 * spread * random()));
  }
  return backoffDelay(failures - 1, { baseMs: o.retryBaseMs, maxMs: o.maxBackoffMs, jitter: 'equal', random });
}
