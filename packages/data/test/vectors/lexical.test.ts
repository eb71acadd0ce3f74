import { describe, expect, it } from 'vitest';
import { cosine, STOPWORDS, stem, tokenF1, tokenize } from '../../src/index.ts';

describe('lexical scores and cosine', () => {
  it('tokenizes any script, stems common inflections, knows stopwords', () => {
    expect(tokenize('Réponse: 42 refunds, CHARGED!')).toEqual(['réponse', '42', 'refunds', 'charged']);
    expect(['refunds', 'charged', 'policies', 'billing', 'class'].map(stem)).toEqual([
      'refund',
      'charg',
      'policy',
      'bill',
      'class',
    ]);
    expect(STOPWORDS.has('the') && !STOPWORDS.has('refund')).toBe(true);
  });

  it('token F1 is 1 for the same words, 0 for disjoint ones, symmetric in between', () => {
    expect(tokenF1('Refunds take five days', 'refund takes five days')).toBe(1);
    expect(tokenF1('alpha beta', 'gamma delta')).toBe(0);
    expect(tokenF1('', '')).toBe(1);
    expect(tokenF1('a b c d', 'a b')).toBeCloseTo(tokenF1('a b', 'a b c d'), 12);
    expect(tokenF1('a b c d', 'a b')).toBeCloseTo(2 / 3, 12);
  });

  it('cosine compares over the shorter vector and is 0 for a zero vector, never NaN', () => {
    expect(cosine([1, 0], [1, 0])).toBeCloseTo(1, 12);
    expect(cosine([1, 0], [0, 1])).toBe(0);
    expect(cosine([1, 1, 5], [1, 1])).toBeCloseTo(1, 12);
    expect(cosine([0, 0], [1, 2])).toBe(0);
    expect(cosine(new Float32Array([3, 4]), [4, 3])).toBeCloseTo(24 / 25, 6);
  });
});
