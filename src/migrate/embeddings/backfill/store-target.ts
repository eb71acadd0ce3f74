/** The backfill target of Switchyard's own tables: `documents` and the plan's `emb_<index>` table. */
import { quoteIdent, type StoredDocument, type VectorStore } from '@switchyard/data';
import type { EmbeddingMigrationResource } from '../../../config/index.ts';
import { checkpointQueries, ts } from '../checkpoint.ts';
import type { BackfillTarget } from './target.ts';

const DOCUMENT_COLUMNS = 'd.id, d.tenant, d.content, d.metadata, d.version, d.updated_at';

export async function storeTarget(store: VectorStore, plan: EmbeddingMigrationResource): Promise<BackfillTarget> {
  const { migration, to } = plan;
  await store.ensureIndex(to);
  const target = await store.tableOf(to.index);
  const s = quoteIdent(store.schema);
  const cp = checkpointQueries(store);
  return {
    writeVectors: (tx, batch) => tx.upsertEmbeddings(to.index, batch.rows),

    async countRange(after, upTo) {
      const where: string[] = [];
      const params: unknown[] = [];
      if (after !== null) where.push(`id > $${params.push(after)}`);
      if (upTo !== null) where.push(`id <= $${params.push(upTo)}`);
      const rows = await store.client.query<{ n: string | number }>(
        `SELECT count(*) AS n FROM ${s}.documents ${where.length ? `WHERE ${where.join(' AND ')}` : ''}`,
        params,
      );
      return Number(rows[0]!.n);
    },

    listAfter: (cursor, limit) => store.listDocuments(cursor, limit),

    async stale(cursor, limit) {
      const rows = await store.client.query<Record<string, unknown>>(
        `SELECT ${DOCUMENT_COLUMNS} FROM ${s}.documents d
LEFT JOIN ${target} e ON e.doc_id = d.id
WHERE d.id > $3 AND (e.doc_id IS NULL OR e.version <> d.version)
  AND NOT EXISTS (SELECT 1 FROM ${s}.migration_dead_letters x WHERE x.migration = $1 AND x.target_index = $2 AND x.doc_id = d.id AND x.version = d.version)
ORDER BY d.id LIMIT $4`,
        [migration, to.index, cursor ?? '', limit],
      );
      return rows.map(toDoc);
    },

    async deadLettered(cursor, limit) {
      const rows = await store.client.query<Record<string, unknown>>(
        `SELECT ${DOCUMENT_COLUMNS} FROM ${s}.migration_dead_letters x JOIN ${s}.documents d ON d.id = x.doc_id
WHERE x.migration = $1 AND x.target_index = $2 AND x.doc_id > $3 ORDER BY x.doc_id LIMIT $4`,
        [migration, to.index, cursor ?? '', limit],
      );
      return rows.map(toDoc);
    },

    clearResolvedDeadLetters: () => cp.clearResolvedDeadLetters(store.client, migration, to.index),
    deadLetterCount: () => cp.deadLetterCount(store.client, migration, to.index),
  };
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
