import { describe, expect, it } from 'vitest';
import { canonicalize, CanonicalJsonError } from '../../src/bundle/runtime-format.ts';

describe('canonicalize (RFC 8785)', () => {
  it('matches the RFC 8785 §3.2.2 example', () => {
    // Input from RFC 8785 §3.2.2, parsed by JavaScript (as the RFC's own reference implementation does).
    const input = JSON.parse(
      '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001], "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/", "literals": [null, true, false]}',
    );
    expect(canonicalize(input)).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it('sorts members by UTF-16 code units (RFC 8785 §3.2.3 example)', () => {
    const input = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    };
    // Read the member order from the text: Object.keys would list the integer-like key "1" first.
    const keys = [...canonicalize(input).matchAll(/"((?:[^"\\]|\\.)*)":/g)].map(
      (m) => JSON.parse(`"${m[1]}"`) as string,
    );
    expect(keys).toEqual(['\r', '1', '\u0080', '\u00f6', '\u20ac', '\ud83d\ude00', '\ufb33']);
  });

  it('serialises numbers the ECMAScript way', () => {
    expect(canonicalize([-0, 1e21, 1e-7, 123456789012345680000, 0.1 + 0.2, 5e-324])).toBe(
      '[0,1e+21,1e-7,123456789012345680000,0.30000000000000004,5e-324]',
    );
  });

  it('is independent of member insertion order and nests', () => {
    expect(canonicalize({ b: [{ z: 1, a: 2 }], a: { y: null, x: true } })).toBe(
      canonicalize({ a: { x: true, y: null }, b: [{ a: 2, z: 1 }] }),
    );
    expect(canonicalize({ b: [{ z: 1, a: 2 }], a: {} })).toBe('{"a":{},"b":[{"a":2,"z":1}]}');
  });

  it.each([
    ['NaN', { a: Number.NaN }, '/a'],
    ['Infinity', [1, Number.POSITIVE_INFINITY], '/1'],
    ['undefined member', { a: { b: undefined } }, '/a/b'],
    ['lone surrogate', { s: 'x\ud800y' }, '/s'],
    ['bigint', { n: 1n }, '/n'],
    ['Date', { d: new Date(0) }, '/d'],
  ])('refuses %s with its JSON pointer', (_name, value, pointer) => {
    let error: unknown;
    try {
      canonicalize(value);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CanonicalJsonError);
    expect((error as CanonicalJsonError).pointer).toBe(pointer);
  });

  it('refuses cycles', () => {
    const a: Record<string, unknown> = {};
    a.self = a;
    expect(() => canonicalize(a)).toThrow(CanonicalJsonError);
  });
});
