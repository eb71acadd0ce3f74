import { describe, expect, it } from 'vitest';
import { numbersSurviveDoubles } from '../../src/conversations/json-precision.ts';

describe('numbersSurviveDoubles', () => {
  it.each([
    ['{"a":1,"b":1.5,"c":-2e-7}', true],
    ['{"a":1234567890123456}', true],
    ['{"a":9007199254740993}', false],
    ['{"a":0.12345678901234567891}', false],
    ['{"a":1.2500000000000000000}', true],
    ['{"a":1e400}', false],
    ['{"s":"12345678901234567890 in a string","t":"\\"9007199254740993\\""}', true],
    ['[100000000000000000000]', true],
    ['[100000000000000000001]', false],
  ])('%s → %s', (text, expected) => {
    expect(numbersSurviveDoubles(text)).toBe(expected);
  });
});
