/**
 * The lexical side of retrieval and answer comparison: word tokens, a light English stemmer,
 * stopwords and token F1. Hybrid retrieval re-ranks vector hits by the query terms they contain,
 * and a shadow pair whose embeddings cannot be fetched is still scored, lexically — the same way
 * Switchyard's CI shadow eval scores it (`src/eval/similarity.ts` uses these functions), so
 * production and CI figures compare.
 */

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

/** English function words that carry no topic. */
export const STOPWORDS: ReadonlySet<string> = new Set(
  (
    'a an the and or but if then of to in on at for from by with about as is are was were be been ' +
    'being do does did have has had i me my you your we our they them their it its this that these ' +
    'those there here what which who whom how why when where can could should would will shall may ' +
    'might must not no so than too very just also into over under after before up down out off again'
  ).split(' '),
);

/** Token F1 (SQuAD-style, over stemmed lower-case words): the lexical score beside cosine. */
export function tokenF1(a: string, b: string): number {
  const ta = tokenize(a).map(stem);
  const tb = tokenize(b).map(stem);
  if (ta.length === 0 && tb.length === 0) return 1;
  if (ta.length === 0 || tb.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const t of ta) counts.set(t, (counts.get(t) ?? 0) + 1);
  let common = 0;
  for (const t of tb) {
    const left = counts.get(t) ?? 0;
    if (left > 0) {
      common++;
      counts.set(t, left - 1);
    }
  }
  if (common === 0) return 0;
  const precision = common / tb.length;
  const recall = common / ta.length;
  return (2 * precision * recall) / (precision + recall);
}
