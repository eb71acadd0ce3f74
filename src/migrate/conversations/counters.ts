/** The runner's counters: zero, and the sum of two. */
import type { Counters } from './types.ts';

export const zero = (): Counters => ({ scanned: 0, upgraded: 0, current: 0, failed: 0, retried: 0, conflicts: 0 });

export const add = (a: Counters, b: Counters): Counters => ({
  scanned: a.scanned + b.scanned,
  upgraded: a.upgraded + b.upgraded,
  current: a.current + b.current,
  failed: a.failed + b.failed,
  retried: a.retried + b.retried,
  conflicts: a.conflicts + b.conflicts,
});
