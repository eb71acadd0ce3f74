import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalBytes, sha256Hex } from '@switchyard/runtime/bundle';
import { contentKey, sameContent } from '../../src/eval/content.ts';

const EVAL = join(import.meta.dirname, '..', '..', 'src', 'eval');

describe('eval content keys', () => {
  it("are the runtime's sha256 of the runtime's RFC 8785 canonical JSON", () => {
    // Keys that sort differently by code point and by UTF-16 code unit, numbers JCS normalises.
    const value = { z: 1, a: [1e21, 0.1, -0, 'é'], '\u{1F600}': true, '\uFF61': null, nested: { b: 2, a: 'x' } };
    expect(contentKey(value)).toBe(sha256Hex(canonicalBytes(value)));
  });

  it('treat undefined members as absent and ignore key order', () => {
    expect(sameContent({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(sameContent({ a: 1, b: { c: [1, 2], d: 'x' } }, { b: { d: 'x', c: [1, 2] }, a: 1 })).toBe(true);
    expect(sameContent({ a: 1 }, { a: 2 })).toBe(false);
    expect(contentKey({ a: 1, b: undefined })).toBe(contentKey({ a: 1 }));
  });

  it('src/eval has no canonical JSON or hashing of its own', () => {
    for (const file of readdirSync(EVAL, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'))) {
      const text = readFileSync(join(EVAL, file), 'utf8');
      expect(text, file).not.toMatch(/createHash\(|function stableStringify/);
    }
  });
});
