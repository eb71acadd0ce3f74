/**
 * The three passes of a backfill, each a source of batches fed to the pipeline:
 * the keyset pass (every document after the checkpoint, in id order), the reconcile sweeps
 * (documents the target lacks or holds at another version) and the dead-letter retry.
 */
import type { StoredDocument, VectorStore } from '@switchyard/data';
import { ts } from '../checkpoint.ts';
import { pipeline } from './pipeline.ts';
import type { BackfillRun } from './run.ts';

const DOCUMENT_COLUMNS = 'd.id, d.tenant, d.content, d.metadata, d.version, d.updated_at';

/** Main pass: keyset from the checkpoint's last id, advancing the checkpoint with every batch. */
export async function keysetPass(run: BackfillRun, lastDocId: string | null): Promise<void> {
  const { store, settings } = run.options;
  run.progress.resumed = lastDocId === null ? 0 : await countDocs(store, run.s, null, lastDocId);
  run.progress.total = await countDocs(store, run.s, lastDocId, null);
  run.emit();
  let cursor = lastDocId;
  await pipeline(
    run,
    async () => {
      const docs = await store.listDocuments(cursor, settings.batchSize);
      if (docs.length > 0) cursor = docs.at(-1)!.id;
      return docs;
    },
    'embedded',
    true,
  );
}

/**
 * Reconcile: documents the target lacks or holds at another version (not dead-lettered at their
 * current version). A few sweeps: the application keeps writing while we run, but it dual-writes,
 * so what a sweep finds is only what fell through the cracks.
 */
export async function reconcilePass(run: BackfillRun): Promise<void> {
  const { store, plan, settings, signal } = run.options;
  const { s } = run;
  run.progress.stage = 'reconcile';
  // A dead letter the application's own write has since resolved (it indexed the document at a
  // newer version) would otherwise stay for ever: reconcile only visits missing or stale documents.
  await run.cp.clearResolvedDeadLetters(store.client, plan.migration, plan.to.index);
  const target = await store.tableOf(plan.to.index);
  for (let sweep = 0; sweep < 3 && !signal?.aborted; sweep++) {
    let after = '';
    const before = run.report.batches;
    await pipeline(
      run,
      async () => {
        const rows = await store.client.query<Record<string, unknown>>(
          `SELECT ${DOCUMENT_COLUMNS} FROM ${s}.documents d
LEFT JOIN ${target} e ON e.doc_id = d.id
WHERE d.id > $3 AND (e.doc_id IS NULL OR e.version <> d.version)
  AND NOT EXISTS (SELECT 1 FROM ${s}.migration_dead_letters x WHERE x.migration = $1 AND x.target_index = $2 AND x.doc_id = d.id AND x.version = d.version)
ORDER BY d.id LIMIT $4`,
          [plan.migration, plan.to.index, after, settings.batchSize],
        );
        const docs = rows.map(toDoc);
        if (docs.length > 0) {
          after = docs.at(-1)!.id;
          run.progress.total += docs.length;
        }
        return docs;
      },
      'reconciled',
      false,
    );
    if (run.report.batches === before) break;
  }
}

/** Re-tries the dead letters that still matter (`--retry-dead-letters`). */
export async function deadLetterPass(run: BackfillRun): Promise<void> {
  const { store, plan, settings } = run.options;
  const { s } = run;
  run.progress.stage = 'dead-letters';
  // Dead letters of deleted documents, or already indexed at or above their version, are moot.
  await run.cp.clearResolvedDeadLetters(store.client, plan.migration, plan.to.index);
  run.progress.total = await run.cp.deadLetterCount(store.client, plan.migration, plan.to.index);
  run.emit();
  let after = '';
  await pipeline(
    run,
    async () => {
      const rows = await store.client.query<Record<string, unknown>>(
        `SELECT ${DOCUMENT_COLUMNS} FROM ${s}.migration_dead_letters x JOIN ${s}.documents d ON d.id = x.doc_id
WHERE x.migration = $1 AND x.target_index = $2 AND x.doc_id > $3 ORDER BY x.doc_id LIMIT $4`,
        [plan.migration, plan.to.index, after, settings.batchSize],
      );
      const docs = rows.map(toDoc);
      if (docs.length > 0) after = docs.at(-1)!.id;
      return docs;
    },
    'reconciled',
    false,
  );
}

async function countDocs(store: VectorStore, s: string, after: string | null, upTo: string | null): Promise<number> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (after !== null) where.push(`id > $${params.push(after)}`);
  if (upTo !== null) where.push(`id <= $${params.push(upTo)}`);
  const rows = await store.client.query<{ n: string | number }>(
    `SELECT count(*) AS n FROM ${s}.documents ${where.length ? `WHERE ${where.join(' AND ')}` : ''}`,
    params,
  );
  return Number(rows[0]!.n);
}

function toDoc(r: Record<string, unknown>): StoredDocument {
  return {
    id: String(r.id),
    tenant: (r.tenant as string | null) ?? null,
    content: String(r.content),
    metadata:
      typeof r.metadata === 'string'
        ? (JSON.parse(r.metadata) as Record<string, unknown>)
        : ((r.metadata as Record<string, unknown>) ?? {}),
    version: Number(r.version),
    updatedAt: ts(r.updated_at) ?? '',
  };
}
