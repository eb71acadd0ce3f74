/**
 * Where a backfill reads documents and writes vectors: Switchyard's own tables (`documents` and
 * the target index), or the application's table a plan's `storage:` names. The passes, the
 * pipeline and the commit are the same for both; only these queries differ.
 */
import type { StoredDocument, UpsertResult, VectorStore, VectorTransaction } from '@switchyard/data';
import type { EmbeddingMigrationResource } from '../../../config/index.ts';
import { appTableTarget } from '../app-table/target.ts';
import type { EmbeddedBatch } from './run.ts';
import { storeTarget } from './store-target.ts';

export interface BackfillTarget {
  /** Writes the batch's vectors under the target's rule; the ids not written come back in `skipped`. */
  writeVectors(tx: VectorTransaction, batch: EmbeddedBatch): Promise<UpsertResult>;
  /** Documents with a key in (after, upTo] (either bound may be null: open). */
  countRange(after: string | null, upTo: string | null): Promise<number>;
  /** The keyset pass: documents after `cursor` in key order. */
  listAfter(cursor: string | null, limit: number): Promise<StoredDocument[]>;
  /** The reconcile pass: documents after `cursor` the target lacks or holds for an older text. */
  stale(cursor: string | null, limit: number): Promise<StoredDocument[]>;
  /** The dead-letter retry: dead-lettered documents after `cursor`. */
  deadLettered(cursor: string | null, limit: number): Promise<StoredDocument[]>;
  /** Deletes the dead letters that no longer explain a gap; returns how many went. */
  clearResolvedDeadLetters(): Promise<number>;
  /** Dead letters that still explain a gap. */
  deadLetterCount(): Promise<number>;
}

/** Prepares the plan's target: creates the index, or checks the application's table. */
export async function openTarget(store: VectorStore, plan: EmbeddingMigrationResource): Promise<BackfillTarget> {
  return plan.storage ? appTableTarget(store, plan) : storeTarget(store, plan);
}
