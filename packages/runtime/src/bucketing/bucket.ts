/**
 * Bucketing (docs/runtime.md; ARCHITECTURE invariant 3): `bucket = floor(murmur3_x86_32(utf8(seed + "|" + unitKey), 0) × 10⁶ / 2³²)`,
 * a position in parts per million that any language can reproduce.
 */
import { createHashPrefix, hashWithPrefix } from './murmur3.ts';
import type { HashPrefix } from './murmur3.ts';

/** Size of the bucket space: parts per million. */
export const PPM = 1_000_000;

const TWO_POW_32 = 4294967296;

/** The precomputed hash state for `seed + "|"`; build it once per flag or experiment. */
export function seedPrefix(seed: string): HashPrefix {
  return createHashPrefix(seed + '|');
}

/** Maps an unsigned 32-bit hash to [0, 1 000 000). Exact: h × 10⁶ < 2⁵³ and 2³² is a power of two. */
export function bucketOfHash(h: number): number {
  return Math.floor((h * PPM) / TWO_POW_32);
}

/** The bucket of a unit under a precomputed seed prefix (the hot-path form). */
export function bucketWithPrefix(prefix: HashPrefix, unitKey: string): number {
  return Math.floor((hashWithPrefix(prefix, unitKey) * PPM) / TWO_POW_32);
}

/** The bucket of a unit for a seed (convenience form: builds the prefix each call). */
export function bucketOf(seed: string, unitKey: string): number {
  return bucketWithPrefix(seedPrefix(seed), unitKey);
}

/** Threshold in ppm for a rollout percentage (0–100, up to four decimals). */
export function percentToPpm(percent: number): number {
  return Math.round(percent * 10_000);
}

/** Shadow sampling hashes under `seed + "|shadow"` so it is independent of the rollout bucket. */
export function shadowSeed(seed: string): string {
  return seed + '|shadow';
}
