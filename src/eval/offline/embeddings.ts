/**
 * Offline embeddings: signed feature hashing of stemmed words (weight 1, stopwords 0.25) and word
 * bigrams (0.5), L2-normalised, in the dimension of the named model. Texts that share words get a
 * higher cosine, which is all the lexical "meaning" a deterministic test double can offer.
 */
import { STOPWORDS, hash32, stem, tokenize } from './text.ts';

/** Output dimension of the embedding models the offline server knows. */
export const EMBEDDING_MODELS: Readonly<Record<string, number>> = {
  'text-embedding-3-small': 1536,
  'text-embedding-3-large': 3072,
  'text-embedding-ada-002': 1536,
};

function add(vec: Float64Array, feature: string, weight: number, salt: string): void {
  const h = hash32(`${salt}|${feature}`);
  const index = h % vec.length;
  const sign = (hash32(`${feature}|${salt}|sign`) & 1) === 0 ? 1 : -1;
  vec[index] = (vec[index] ?? 0) + sign * weight;
}

/**
 * The embedding of `text` for `model` in `dimension` dimensions (the model's own unless the
 * request asks for fewer). Empty text maps to a fixed unit vector so cosine stays defined.
 */
export function embed(text: string, model: string, dimension: number): number[] {
  const vec = new Float64Array(dimension);
  const tokens = tokenize(text);
  // Each model family hashes into its own space: vectors of different models are not comparable.
  const salt = model;
  tokens.forEach((tok, i) => {
    const s = stem(tok);
    add(vec, `u:${s}`, STOPWORDS.has(tok) ? 0.25 : 1, salt);
    const next = tokens[i + 1];
    if (next !== undefined) add(vec, `b:${s}_${stem(next)}`, 0.5, salt);
  });
  let norm = 0;
  for (const v of vec) norm += v * v;
  if (norm === 0) {
    vec[0] = 1;
    norm = 1;
  }
  const scale = 1 / Math.sqrt(norm);
  return Array.from(vec, (v) => v * scale);
}

/** Little-endian float32 bytes, base64: the encoding the openai SDK requests by default. */
export function toBase64(vector: number[]): string {
  const f32 = Float32Array.from(vector);
  return Buffer.from(f32.buffer, f32.byteOffset, f32.byteLength).toString('base64');
}
