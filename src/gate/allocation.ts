/**
 * Who gets what, as the runtime decides it: one subject (a flag, a model alias, a prompt) in one
 * environment is a partition of the bucket space [0, 1 000 000) of one seed into segments, each
 * with the answer its units get. Pure arithmetic over the compiled decision tables, so the gate
 * measures exactly what `packages/runtime` serves, whatever YAML produced it.
 */
import { PPM } from '../bundle/tables.ts';

/** A half-open range [start, end) of buckets (ppm) and the answer its units get. */
export interface Segment {
  start: number;
  end: number;
  value: string;
}

export interface Allocation {
  /** Bucketing seed; null when everyone gets the same answer (no bucketing involved). */
  seed: string | null;
  /** Tiles [0, PPM) in order. */
  segments: Segment[];
}

/** Everyone gets `value`. */
export function uniform(value: string): Allocation {
  return { seed: null, segments: [{ start: 0, end: PPM, value }] };
}

/** Units with bucket < `thresholdPpm` get `inside`, the rest `outside`. */
export function split(seed: string, thresholdPpm: number, inside: string, outside: string): Allocation {
  const t = Math.max(0, Math.min(PPM, thresholdPpm));
  if (t === 0) return uniform(outside);
  if (t === PPM) return uniform(inside);
  return {
    seed,
    segments: [
      { start: 0, end: t, value: inside },
      { start: t, end: PPM, value: outside },
    ],
  };
}

/** Share (ppm) of units that get `value`. */
export function shareOf(a: Allocation, value: string): number {
  return a.segments.filter((s) => s.value === value).reduce((sum, s) => sum + (s.end - s.start), 0);
}

/** Every answer the allocation gives. */
export function valuesOf(a: Allocation): string[] {
  return [...new Set(a.segments.map((s) => s.value))];
}

/**
 * Share (ppm) of units that get `value` in `head` but did not get it in `base`. Same seed (or a
 * uniform side): exact, by intersecting ranges. Different seeds: murmur3 of two seeds places a unit
 * independently, so the expected share is `h × (1 − b)` — rounded up, since the gate must never
 * under-count who is newly exposed.
 */
export function newlyGetting(base: Allocation, head: Allocation, value: string): number {
  const h = shareOf(head, value);
  if (h === 0) return 0;
  if (base.seed === null || head.seed === null || base.seed === head.seed) {
    let overlap = 0;
    for (const hs of head.segments) {
      if (hs.value !== value) continue;
      for (const bs of base.segments) {
        if (bs.value !== value) continue;
        overlap += Math.max(0, Math.min(hs.end, bs.end) - Math.max(hs.start, bs.start));
      }
    }
    return h - overlap;
  }
  const b = shareOf(base, value);
  return Math.ceil(h - (h * b) / PPM);
}

/** Share (ppm) of units whose answer differs between `base` and `head` (same rules as {@link newlyGetting}). */
export function changedShare(base: Allocation, head: Allocation): number {
  return valuesOf(head).reduce((sum, v) => sum + newlyGetting(base, head, v), 0);
}
