/**
 * The compiler's half of the bucketing contract (ARCHITECTURE invariant 3), checked against the shared conformance
 * vectors: the thresholds and experiment slots the compiler writes, applied to the buckets the
 * runtime computes for every vector row, must give exactly the membership the spec defines
 * ("rolloutIn: bucket < thresholdPpm", "experimentEnrolled: slotStart <= bucket < enrolledEnd").
 * The runtime's own test (packages/runtime/test/bucketing.test.ts) checks the hash side.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bucketOf, PPM as RUNTIME_PPM } from '@switchyard/runtime/bundle';
import { experimentSlots, PPM, thresholdPpm } from '../../src/bundle/index.ts';
import type { ExperimentVariant } from '../../src/config/types.ts';

interface Vector {
  seed: string;
  unitKey: string;
  utf8Hex: string;
  hash: number;
  bucket: number;
}
const file = join(import.meta.dirname, '..', 'conformance', 'bucketing-vectors.json');
const doc = JSON.parse(readFileSync(file, 'utf8')) as { algorithm: Record<string, unknown>; vectors: Vector[] };
const { vectors } = doc;

/** The variant a bucket belongs to at 100 % traffic, straight from integer weights (no rounding involved). */
function variantByWeights(bucket: number, ordered: Array<[string, number]>): string | undefined {
  let cumulative = 0;
  for (const [name, weight] of ordered) {
    // bucket / 10^4 is the bucket as a percentage; compare in integers: bucket < cumulative% × 10^4.
    if (bucket >= cumulative * 10_000 && bucket < (cumulative + weight) * 10_000) return name;
    cumulative += weight;
  }
  return undefined;
}

describe('compiler tables against the conformance vectors', () => {
  it('the vectors file states the algorithm the compiler assumes, and the runtime reproduces every bucket', () => {
    expect(doc.algorithm).toMatchObject({
      bucket: 'floor(hash * 1000000 / 4294967296)',
      rolloutIn: 'bucket < thresholdPpm',
      experimentEnrolled: 'slotStart <= bucket < enrolledEnd',
    });
    expect(PPM).toBe(RUNTIME_PPM);
    expect(vectors.length).toBeGreaterThan(100);
    for (const v of vectors) {
      expect(bucketOf(v.seed, v.unitKey), `${v.seed}|${v.unitKey}`).toBe(v.bucket);
      expect(v.bucket).toBeGreaterThanOrEqual(0);
      expect(v.bucket).toBeLessThan(PPM);
    }
  });

  it('rollout thresholds: a unit is in exactly when its bucket, as a percentage, is below the percent', () => {
    for (const v of vectors) {
      const bucket = bucketOf(v.seed, v.unitKey);
      // The percent that puts the threshold exactly on this bucket: the unit is just out; one ppm more and it is in.
      expect(bucket < thresholdPpm(v.bucket / 10_000, false)).toBe(false);
      expect(bucket < thresholdPpm((v.bucket + 1) / 10_000, false)).toBe(true);
      expect(bucket < thresholdPpm(100, false)).toBe(true);
      expect(bucket < thresholdPpm(0, false)).toBe(false);
      // Killed beats any percentage.
      expect(bucket < thresholdPpm(100, true)).toBe(false);
      for (const percent of [1, 5, 25, 50, 99.5]) {
        expect(bucket < thresholdPpm(percent, false), `${v.seed}|${v.unitKey} at ${percent}%`).toBe(
          v.bucket < percent * 10_000,
        );
      }
    }
  });

  const layouts: Array<Record<string, ExperimentVariant>> = [
    { control: { version: 1, weight: 50 }, treatment: { version: 2, weight: 50 } },
    { treatment: { version: 2, weight: 90 }, control: { version: 1, weight: 10 } },
    { control: { version: 1, weight: 34 }, b: { version: 2, weight: 33 }, a: { version: 3, weight: 33 } },
  ];

  it('experiment slots: at 100 % traffic every vector lands in the variant its weights say, in exactly one slot', () => {
    for (const variants of layouts) {
      const slots = experimentSlots(variants, 100);
      const ordered = slots.map((s) => [s.name, s.weight] as [string, number]);
      for (const v of vectors) {
        const bucket = bucketOf(v.seed, v.unitKey);
        const enrolled = slots.filter((s) => s.slotStart <= bucket && bucket < s.enrolledEnd).map((s) => s.name);
        expect(enrolled, `${v.seed}|${v.unitKey}`).toEqual([variantByWeights(v.bucket, ordered)]);
      }
    }
  });

  it('experiment slots: raising traffic only enrolls more vectors, never moves one to another variant', () => {
    const traffics = [0, 1, 10, 33, 50, 100];
    for (const variants of layouts) {
      const byTraffic = traffics.map((t) => experimentSlots(variants, t));
      for (const v of vectors) {
        const bucket = bucketOf(v.seed, v.unitKey);
        let previous: string | undefined;
        for (const [i, slots] of byTraffic.entries()) {
          const enrolled = slots.filter((s) => s.slotStart <= bucket && bucket < s.enrolledEnd).map((s) => s.name);
          expect(enrolled.length).toBeLessThanOrEqual(1);
          if (traffics[i] === 0) expect(enrolled).toEqual([]);
          if (previous !== undefined) expect(enrolled).toEqual([previous]);
          previous = enrolled[0] ?? previous;
        }
        expect(previous).toBe(
          variantByWeights(
            v.bucket,
            byTraffic.at(-1)!.map((s) => [s.name, s.weight]),
          ),
        );
      }
    }
  });
});
