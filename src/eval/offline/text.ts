/**
 * Text primitives shared by the offline model, its embeddings and the similarity scores: a stable
 * 32-bit hash, a Unicode-aware tokenizer, a light stemmer and a sentence splitter. Everything here
 * is pure and deterministic so that the offline model gives the same answer on every machine.
 */
// The tokenizer, stemmer and stopwords are the retrieval layer's (hybrid re-ranking and shadow
// token F1 use them in production), so offline answers and production scores agree.
import { STOPWORDS, stem, tokenize } from '@switchyard/data';

export { STOPWORDS, stem, tokenize };

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
