/**
 * How a model snapshot changes the wording of an answer. Each snapshot is a deterministic function
 * of its name: it picks its own openers and swaps some words for synonyms, so two snapshots give
 * similar but not identical answers (embedding cosine high, but below 1.0), exactly the situation a
 * shadow eval has to measure.
 */
import { hash32 } from './text.ts';

// Mostly no opener: an opener is extra words, and snapshots should stay close (cosine ≈ 0.9+).
const OPENERS = ['', '', '', '', 'Sure. ', 'Certainly. '];

/** Words a snapshot may replace; never the facts tests look for (numbers, product terms). */
const SYNONYMS: Record<string, string> = {
  open: 'go to',
  follow: 'complete',
  steps: 'instructions',
  contact: 'reach out to',
  check: 'verify',
  usually: 'normally',
  quickly: 'promptly',
  page: 'screen',
  select: 'choose',
  settings: 'preferences',
  describes: 'explains',
  mentions: 'notes',
  writes: 'reports',
};

/** Whether `snapshot` picks option `salt` (about one time in `oneIn`). */
export function picks(snapshot: string, salt: string, oneIn: number): boolean {
  return hash32(`${snapshot}|${salt}`) % oneIn === 0;
}

/** The snapshot's opener for this input. */
export function opener(snapshot: string, input: string): string {
  return OPENERS[hash32(`${snapshot}|opener|${input}`) % OPENERS.length] ?? '';
}

/** Applies the snapshot's synonym choices (about one word in four of the table). */
export function reword(snapshot: string, text: string): string {
  return text.replace(/\b[a-z]+\b/g, (word) => {
    const alt = SYNONYMS[word];
    return alt !== undefined && picks(snapshot, `syn|${word}`, 4) ? alt : word;
  });
}
