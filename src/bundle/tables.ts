/**
 * The precomputed tables of a payload: thresholds, experiment slots and embedding routes. Pure
 * arithmetic kept apart from the compiler so the bucketing contract is stated in one place.
 */

import type { EmbeddingPhase, EmbeddingStorage, EmbeddingStore, ExperimentVariant } from '../config/types.ts';
import { PPM, percentToPpm, type PayloadEmbeddingTarget, type PayloadExperimentVariant } from './runtime-format.ts';

/** The size of the bucket space (parts per million): the runtime's constant, re-exported. */
export { PPM };

/**
 * percent (0..100) → threshold in ppm; `bucket < threshold` is "in". Killed flags get 0. The same
 * arithmetic as the runtime's `percentToPpm` with no clamping of its own: out-of-range percents are
 * `E_BUNDLE_RANGE` errors before any threshold reaches a payload.
 */
export function thresholdPpm(percent: number, killed: boolean): number {
  return killed ? 0 : percentToPpm(percent);
}

/** share (0..1) → ppm; out-of-range shares are `E_BUNDLE_RANGE` errors in the compiler. */
export function shareToPpm(share: number): number {
  return Math.round(share * PPM);
}

/**
 * Variant order: `control` first, then the others by name (UTF-16 code units). Independent of YAML
 * key order, so reformatting a file never moves anyone between variants.
 */
export function orderVariants(names: string[]): string[] {
  const rest = names.filter((n) => n !== 'control').sort();
  return names.includes('control') ? ['control', ...rest] : rest;
}

/**
 * Fixed slots proportional to weight, and the enrolled part of each slot scaled by traffic:
 * `enrolledEnd = slotStart + floor((slotEnd - slotStart) × traffic / 100)`. Slot bounds come from
 * cumulative weights, so they tile [0, 1 000 000) exactly; raising traffic only moves enrolledEnd
 * up, so nobody already enrolled changes variant.
 */
export function experimentSlots(
  variants: Record<string, ExperimentVariant>,
  traffic: number,
): PayloadExperimentVariant[] {
  const out: PayloadExperimentVariant[] = [];
  let cumulative = 0;
  for (const name of orderVariants(Object.keys(variants))) {
    const variant = variants[name]!;
    const slotStart = Math.round((cumulative * PPM) / 100);
    cumulative += variant.weight;
    const slotEnd = Math.round((cumulative * PPM) / 100);
    const enrolledEnd = slotStart + Math.floor(((slotEnd - slotStart) * traffic) / 100);
    out.push({ name, version: variant.version, weight: variant.weight, slotStart, slotEnd, enrolledEnd });
  }
  return out;
}

/** A route target; with `storage:` it also names the application's table and vector column. */
export function embeddingTarget(
  store: EmbeddingStore,
  storage?: EmbeddingStorage,
  side?: 'from' | 'to',
): PayloadEmbeddingTarget {
  const base = { model: store.model, dimension: store.dimension, index: store.index };
  return storage && side ? { ...base, table: storage.table, column: storage[side].column } : base;
}

/** Where to write and in which order to read, per migration phase. */
export function embeddingRoutes(
  phase: EmbeddingPhase,
  from: EmbeddingStore,
  to: EmbeddingStore,
  storage?: EmbeddingStorage,
): { write: PayloadEmbeddingTarget[]; read: PayloadEmbeddingTarget[]; backfillActive: boolean } {
  const f = embeddingTarget(from, storage, 'from');
  const t = embeddingTarget(to, storage, 'to');
  switch (phase) {
    case 'dual-write':
      return { write: [f, t], read: [f], backfillActive: false };
    case 'backfill':
      return { write: [f, t], read: [f], backfillActive: true };
    case 'dual-read':
      return { write: [f, t], read: [t, f], backfillActive: false };
    case 'cutover':
      return { write: [t, f], read: [t], backfillActive: false };
    case 'complete':
      return { write: [t], read: [t], backfillActive: false };
  }
}

/** The next stage above `percent`, or null at the last stage. */
export function nextStage(stages: number[], percent: number): number | null {
  return stages.find((s) => s > percent) ?? null;
}
