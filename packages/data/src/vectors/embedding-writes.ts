/**
 * The write rule of an index (docs/ARCHITECTURE.md, invariant 10): a vector lands only for the
 * document's current version and replaces a vector of any other version. `VectorOps` over one SQL
 * executor, so the same operations run on the client or inside a transaction.
 */
import type { SqlExecutor } from '../store/sql-client.ts';
import type { IndexCatalog } from './catalog.ts';
import { checkId } from './documents.ts';
import { VectorError } from './errors.ts';
import type { EmbeddingRow, IndexInfo, UpsertResult, VectorOps } from './types.ts';
import { normalise, vectorLiteral } from './vector-math.ts';

/** The operations of `VectorOps` on `sql` (the client, or a transaction's connection). */
export function embeddingWrites(catalog: IndexCatalog, sql: SqlExecutor): VectorOps {
  return {
    async upsertEmbeddings(index, rows) {
      if (rows.length === 0) return { written: 0, skipped: [] };
      return catalog.onIndex(sql, index, (info) => upsertCurrent(catalog, sql, info, newestPerId(rows)));
    },
    async deleteEmbedding(index, id) {
      return catalog.onIndex(sql, index, async (info) => {
        const rows = await sql.query(
          `DELETE FROM ${catalog.qualified(info.table)} WHERE doc_id = $1 RETURNING doc_id`,
          [checkId(id)],
        );
        return rows.length > 0;
      });
    },
  };
}

/** One row per id (ON CONFLICT may not touch a row twice in one statement): the newest version wins. */
function newestPerId(rows: readonly EmbeddingRow[]): EmbeddingRow[] {
  const newest = new Map<string, EmbeddingRow>();
  for (const row of rows) {
    checkId(row.id);
    if (!Number.isSafeInteger(row.version) || row.version < 1)
      throw new VectorError('E_VECTOR_DOCUMENT', `embedding for '${row.id}' has an invalid version ${row.version}`);
    const seen = newest.get(row.id);
    if (!seen || seen.version < row.version) newest.set(row.id, row);
  }
  return [...newest.values()];
}

async function upsertCurrent(
  catalog: IndexCatalog,
  sql: SqlExecutor,
  info: IndexInfo,
  rows: EmbeddingRow[],
): Promise<UpsertResult> {
  const ids = rows.map((row) => row.id);
  const versions = rows.map((row) => String(row.version));
  const literals = rows.map((row) =>
    vectorLiteral(normalise(row.embedding, info.dimension, `embedding of '${row.id}'`), info.vectorType),
  );
  const cast = info.vectorType === 'pgvector' ? 'vector' : 'real[]';
  // The join writes a vector only for the document's *current* version, and FOR SHARE holds
  // that row until commit: a concurrent update or delete waits for us (then supersedes or
  // cascades), and one that committed first makes the row drop out. So every row that
  // reaches ON CONFLICT carries the current version, and an existing vector of any *other*
  // version — older, or (for data written before versions were drawn under the row lock)
  // larger — is stale and replaced. Together: a backfill racing the app can neither lose a
  // newer write, resurrect a deleted document, nor store a stale text.
  const written = await sql.query<{ doc_id: string }>(
    `INSERT INTO ${catalog.qualified(info.table)} AS e (doc_id, version, model, embedding, updated_at)
SELECT v.id, v.version, $4, v.embedding::${cast}, now()
FROM unnest($1::text[], $2::bigint[], $3::text[]) AS v(id, version, embedding)
JOIN ${catalog.s}.documents d ON d.id = v.id AND d.version = v.version
ORDER BY v.id
FOR SHARE OF d
ON CONFLICT (doc_id) DO UPDATE SET version = EXCLUDED.version, model = EXCLUDED.model, embedding = EXCLUDED.embedding, updated_at = EXCLUDED.updated_at
RETURNING e.doc_id`,
    [ids, versions, literals, info.model],
  );
  const done = new Set(written.map((r) => r.doc_id));
  return { written: done.size, skipped: ids.filter((id) => !done.has(id)) };
}
