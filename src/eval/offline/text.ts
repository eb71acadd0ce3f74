/**
 * Text primitives shared by the offline model, its embeddings and the similarity scores: a stable
 * 32-bit hash, a Unicode-aware tokenizer, a light stemmer and a sentence splitter. Everything here
 * is pure and deterministic so that the offline model gives the same answer on every machine.
 */

/** FNV-1a 32-bit over the UTF-16 code units; stable across platforms and Node versions. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // A final avalanche so that neighbouring inputs spread over the whole range.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Lower-cased word tokens (letters and digits of any script). */
export function tokenize(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** Strips the most common English inflections so "refunds"/"refund" and "charged"/"charge" meet. */
export function stem(token: string): string {
  if (token.length > 4 && token.endsWith('ies')) return `${token.slice(0, -3)}y`;
  if (token.length > 4 && token.endsWith('ing')) return token.slice(0, -3);
  if (token.length > 4 && token.endsWith('ed')) return token.slice(0, -2);
  if (token.length > 3 && token.endsWith('s') && !token.endsWith('ss')) return token.slice(0, -1);
  return token;
}

export const STOPWORDS: ReadonlySet<string> = new Set(
  (
    'a an the and or but if then of to in on at for from by with about as is are was were be been ' +
    'being do does did have has had i me my you your we our they them their it its this that these ' +
    'those there here what which who whom how why when where can could should would will shall may ' +
    'might must not no so than too very just also into over under after before up down out off again'
  ).split(' '),
);

/** Stemmed content words (stopwords removed). */
export function contentWords(text: string): string[] {
  return tokenize(text)
    .filter((t) => !STOPWORDS.has(t))
    .map(stem);
}

/** Splits prose into sentences, keeping their end punctuation. */
export function sentences(text: string): string[] {
  return text
    .replace(/\s+/g, ' ')
    .trim()
    .split(/(?<=[.!?])\s+(?=[\p{Lu}\p{N}"'(])/u)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Ensures a sentence ends with terminal punctuation. */
export function terminate(sentence: string): string {
  return /[.!?]$/.test(sentence) ? sentence : `${sentence}.`;
}

/** Rough token count used for the `usage` fields (about one token per word or symbol). */
export function approxTokens(text: string): number {
  return (text.match(/[\p{L}\p{N}]+|[^\s\p{L}\p{N}]/gu) ?? []).length;
}
