import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
// An independent murmur3 x86_32 (Gary Court / Jens Taylor lineage), a dev dependency.
import MurmurHash3 from 'imurmurhash';
import {
  bucketOf,
  bucketOfHash,
  bucketWithPrefix,
  createHashPrefix,
  hashWithPrefix,
  murmur3,
  seedPrefix,
  shadowSeed,
  PPM,
} from '../src/tools.ts';
import { experimentSlots } from '../../../src/bundle/tables.ts';

const te = new TextEncoder();
const vectorsFile = fileURLToPath(new URL('../../../test/conformance/bucketing-vectors.json', import.meta.url));
const { vectors } = JSON.parse(readFileSync(vectorsFile, 'utf8')) as {
  vectors: Array<{ seed: string; unitKey: string; utf8Hex: string; hash: number; bucket: number }>;
};

/** imurmurhash hashes UTF-16 code units; feeding it a latin1 "byte string" makes it hash the UTF-8 bytes. */
function independent(input: string): number {
  return MurmurHash3(Buffer.from(input, 'utf8').toString('latin1')).result();
}

describe('murmur3 x86_32', () => {
  it('matches published reference values', () => {
    // Widely published MurmurHash3_x86_32 test vectors (SMHasher-derived, e.g. the table in
    // https://stackoverflow.com/questions/14747343): input, seed, expected.
    const refs: Array<[Uint8Array, number, number]> = [
      [new Uint8Array([]), 0, 0],
      [new Uint8Array([]), 1, 0x514e28b7],
      [new Uint8Array([]), 0xffffffff, 0x81f16f39],
      [new Uint8Array([0, 0, 0, 0]), 0, 0x2362f9de],
      [te.encode('aaaa'), 0x9747b28c, 0x5a97808a],
      [te.encode('Hello, world!'), 0x9747b28c, 0x24884cba],
      [te.encode('The quick brown fox jumps over the lazy dog'), 0x9747b28c, 0x2fa826cd],
      [te.encode('hello'), 0, 0x248bfa47],
      [te.encode('The quick brown fox jumps over the lazy dog'), 0, 0x2e4ff723],
    ];
    for (const [bytes, seed, expected] of refs) expect(murmur3(bytes, seed)).toBe(expected);
  });

  it('the streaming UTF-8 form equals hashing the encoded bytes, for every prefix alignment', () => {
    const keys = ['', 'a', 'ab', 'abc', 'abcd', 'é', '日本', '😀', '\ud800', 'a\udc00b', 'mixé日😀z', '👩‍💻'];
    for (const prefix of ['', 'p', 'pr|', 'pre|', 'seed|', 'émoji😀|']) {
      const state = createHashPrefix(prefix);
      for (const k of keys) {
        const expected = murmur3(te.encode(prefix + k));
        expect(hashWithPrefix(state, k)).toBe(expected);
        expect(independent(prefix + k)).toBe(expected);
      }
    }
  });
});

describe('conformance vectors (test/conformance/bucketing-vectors.json)', () => {
  it('covers non-ASCII and empty keys', () => {
    const keys = new Set(vectors.map((v) => v.unitKey));
    for (const k of ['', 'é', '日本', '😀']) expect(keys.has(k)).toBe(true);
    expect(vectors.length).toBeGreaterThan(100);
  });

  it('every row reproduces with this implementation and with an independent one', () => {
    for (const v of vectors) {
      const input = v.seed + '|' + v.unitKey;
      expect(Buffer.from(input, 'utf8').toString('hex')).toBe(v.utf8Hex);
      expect(independent(input)).toBe(v.hash);
      expect(murmur3(Buffer.from(v.utf8Hex, 'hex'))).toBe(v.hash);
      expect(bucketOfHash(v.hash)).toBe(v.bucket);
      expect(Math.floor((v.hash * 1_000_000) / 2 ** 32)).toBe(v.bucket);
      expect(bucketOf(v.seed, v.unitKey)).toBe(v.bucket);
      expect(bucketWithPrefix(seedPrefix(v.seed), v.unitKey)).toBe(v.bucket);
    }
  });

  it('bucket bounds: 0 and 2^32-1 map to the ends of [0, 10^6)', () => {
    expect(bucketOfHash(0)).toBe(0);
    expect(bucketOfHash(0xffffffff)).toBe(PPM - 1);
  });
});

const units = Array.from({ length: 20_000 }, (_, i) => `user-${i}`);

describe('properties', () => {
  it('raising a rollout percentage only adds units', () => {
    const prefix = seedPrefix('chat-gpt-4o-2024-08-06');
    const buckets = units.map((u) => bucketWithPrefix(prefix, u));
    const stages = [0, 1, 5, 25, 50, 100];
    let previous = new Set<number>();
    for (const percent of stages) {
      const threshold = percent * 10_000;
      const inside = new Set(buckets.flatMap((b, i) => (b < threshold ? [i] : [])));
      for (const i of previous) expect(inside.has(i)).toBe(true);
      // Roughly the right share (binomial, 20k units: ±1.5 points is > 5 sigma).
      expect(Math.abs(inside.size / units.length - percent / 100)).toBeLessThan(0.015);
      previous = inside;
    }
    expect(previous.size).toBe(units.length);
  });

  it('raising experiment traffic never moves an enrolled unit (compiler slots)', () => {
    const prefix = seedPrefix('summarization-v1-vs-v2');
    const buckets = units.map((u) => bucketWithPrefix(prefix, u));
    const variants = {
      control: { version: 1, weight: 34 },
      treatment: { version: 2, weight: 33 },
      bold: { version: 3, weight: 33 },
    };
    const assign = (traffic: number): Array<string | null> => {
      const slots = experimentSlots(variants, traffic);
      return buckets.map((b) => slots.find((s) => s.slotStart <= b && b < s.enrolledEnd)?.name ?? null);
    };
    let previous = assign(0);
    expect(previous.every((v) => v === null)).toBe(true);
    for (const traffic of [1, 10, 25, 50, 80, 100]) {
      const now = assign(traffic);
      now.forEach((v, i) => {
        if (previous[i] !== null) expect(v).toBe(previous[i]);
      });
      const enrolled = now.filter((v) => v !== null).length / units.length;
      expect(Math.abs(enrolled - traffic / 100)).toBeLessThan(0.015);
      previous = now;
    }
  });

  it('shadow sampling is independent of the rollout bucket', () => {
    const rollout = seedPrefix('chat-gpt-4o-2024-08-06');
    const shadow = seedPrefix(shadowSeed('chat-gpt-4o-2024-08-06'));
    let inRollout = 0;
    let sampled = 0;
    let both = 0;
    for (const u of units) {
      const r = bucketWithPrefix(rollout, u) < 250_000;
      const s = bucketWithPrefix(shadow, u) < 100_000;
      if (r) inRollout++;
      if (s) sampled++;
      if (r && s) both++;
    }
    // Independent: P(both) ≈ P(rollout) × P(sampled) = 2.5%. Correlated seeds would give ~10% or ~0%.
    const expected = (inRollout / units.length) * (sampled / units.length);
    expect(Math.abs(both / units.length - expected)).toBeLessThan(0.006);
  });
});
