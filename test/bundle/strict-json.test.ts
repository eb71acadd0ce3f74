import { describe, expect, it } from 'vitest';
import { canonicalize, parseStrictJson, parseStrictJsonBytes } from '../../src/bundle/runtime-format.ts';

describe('parseStrictJson', () => {
  it('parses what JSON.parse parses, to the same value', () => {
    const text = '{"a":[1,-2.5e3,true,false,null,"x\\u00e9\\n\\"\\\\\\/"],"b":{"c":{}},"d":[],"e":"😀","f":0.1}';
    const result = parseStrictJson(text);
    expect(result.ok).toBe(true);
    if (result.ok) expect(canonicalize(result.value)).toBe(canonicalize(JSON.parse(text)));
  });

  it('refuses duplicate member names, also nested and escaped', () => {
    for (const text of ['{"a":1,"a":2}', '{"x":{"b":1,"b":1}}', '[{"k":1,"\\u006b":2}]']) {
      const result = parseStrictJson(text);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.reason).toBe('duplicate-key');
    }
  });

  it.each([
    ['empty', ''],
    ['trailing comma', '[1,]'],
    ['single quotes', "{'a':1}"],
    ['leading zero', '01'],
    ['trailing data', '{} {}'],
    ['unterminated string', '"abc'],
    ['raw control character', '"a\u0001"'],
    ['bad escape', '"\\x41"'],
    ['lone surrogate escape', '"\\ud800"'],
    ['NaN', 'NaN'],
    ['huge number', '1e400'],
    ['too deep', '['.repeat(100) + ']'.repeat(100)],
  ])('refuses %s as not-json', (_name, text) => {
    const result = parseStrictJson(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toBe('not-json');
  });

  it('keeps "__proto__" as plain data', () => {
    const result = parseStrictJson('{"__proto__":{"polluted":true}}');
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(Object.keys(result.value as object)).toEqual(['__proto__']);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    }
  });

  it('refuses invalid UTF-8 and a byte order mark', () => {
    expect(parseStrictJsonBytes(Uint8Array.from([0x22, 0xff, 0x22])).ok).toBe(false);
    expect(parseStrictJsonBytes(Uint8Array.from([0xef, 0xbb, 0xbf, 0x31])).ok).toBe(false);
    expect(parseStrictJsonBytes(new TextEncoder().encode('{"é":1}')).ok).toBe(true);
  });
});
