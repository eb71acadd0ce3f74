import type { SwitchyardEvent } from './events.ts';

/** Why an event was refused at the door of the store (counted per reason, never thrown). */
export type RefusalReason =
  | 'not-an-object'
  | 'unknown-type'
  | 'missing-field'
  | 'non-finite-number'
  | 'similarity-out-of-range'
  | 'nul-in-text'
  | 'unknown-subject';

const SUBJECTS = new Set(['experiment', 'flag', 'canary', 'model-rollout']);

/** Required text fields, optional text fields, required numbers, optional numbers per event type. */
const SHAPES: Record<
  SwitchyardEvent['type'],
  { text: string[]; optionalText: string[]; optionalNumbers: string[]; numbers: string[] }
> = {
  exposure: {
    text: ['env', 'subject', 'key', 'variant', 'unitKey'],
    optionalText: [],
    numbers: [],
    optionalNumbers: [],
  },
  metric: {
    text: ['env', 'subject', 'key', 'variant', 'unitKey', 'metric'],
    optionalText: [],
    numbers: ['value'],
    optionalNumbers: [],
  },
  shadow: {
    text: ['env', 'rollout', 'model', 'primary', 'candidate', 'unitKey'],
    optionalText: ['requestId', 'primaryOutput', 'candidateOutput', 'error'],
    numbers: [],
    optionalNumbers: ['similarity', 'primaryLatencyMs', 'candidateLatencyMs'],
  },
  migration: {
    text: ['env', 'migration', 'key', 'from', 'to'],
    optionalText: ['subjectId'],
    numbers: [],
    optionalNumbers: [],
  },
};

/** Largest |time| or serial the store's bigint columns and JS numbers both hold exactly. */
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/**
 * Checks one event before it may enter a batch. A single bad event must never fail the batch it
 * travels in (PostgreSQL rejects a whole INSERT for one NUL byte in a text value or a fractional
 * bigint) nor reach an analysis as NaN (one NaN metric value makes a mean NaN; one NaN similarity
 * made `width_bucket` throw for every rollout). Returns null when the event is acceptable.
 *
 * Refused: non-objects and unknown `type`s; missing or non-string text fields; text containing
 * U+0000; a non-finite `time`, a non-integer `serial`; a non-finite metric `value`; a similarity
 * that is not a finite number in [0, 1]; non-finite latencies; an unknown `subject`.
 */
export function validateEvent(event: unknown): RefusalReason | null {
  if (typeof event !== 'object' || event === null) return 'not-an-object';
  const e = event as Record<string, unknown>;
  const shape =
    typeof e.type === 'string' && Object.hasOwn(SHAPES, e.type) ? SHAPES[e.type as SwitchyardEvent['type']] : undefined;
  if (!shape) return 'unknown-type';
  if (typeof e.time !== 'number' || typeof e.serial !== 'number')
    return typeof e.time === 'undefined' || typeof e.serial === 'undefined' ? 'missing-field' : 'non-finite-number';
  if (!Number.isFinite(e.time) || Math.abs(e.time) > MAX_SAFE || !Number.isSafeInteger(e.serial))
    return 'non-finite-number';
  for (const field of shape.text) {
    const value = e[field];
    if (typeof value !== 'string') return 'missing-field';
    if (value.includes('\u0000')) return 'nul-in-text';
  }
  for (const field of shape.optionalText) {
    const value = e[field];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string') return 'missing-field';
    if (value.includes('\u0000')) return 'nul-in-text';
  }
  for (const field of shape.numbers) {
    if (typeof e[field] !== 'number') return 'missing-field';
    if (!Number.isFinite(e[field])) return 'non-finite-number';
  }
  for (const field of shape.optionalNumbers) {
    const value = e[field];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'number' || !Number.isFinite(value)) return 'non-finite-number';
  }
  if (shape.text.includes('subject') && !SUBJECTS.has(e.subject as string)) return 'unknown-subject';
  if (e.type === 'shadow' && typeof e.similarity === 'number' && !(e.similarity >= 0 && e.similarity <= 1))
    return 'similarity-out-of-range';
  return null;
}

/** Counts of refused events per reason. */
export type RefusalCounts = Partial<Record<RefusalReason, number>>;

/** Splits a list into acceptable items and counts of refused ones (input order kept). */
export function partitionValid<T>(
  items: readonly T[],
  eventOf: (item: T) => unknown,
): { valid: T[]; refused: RefusalCounts } {
  const valid: T[] = [];
  const refused: RefusalCounts = {};
  for (const item of items) {
    const reason = validateEvent(eventOf(item));
    if (reason === null) valid.push(item);
    else refused[reason] = (refused[reason] ?? 0) + 1;
  }
  return { valid, refused };
}
