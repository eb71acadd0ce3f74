/**
 * The `documents` table: the source of truth every index is derived from, one version sequence for
 * every write (docs/embedding-migration.md).
 */
import type { SqlClient } from '../store/sql-client.ts';
import { VectorError } from './errors.ts';
import type { StoredDocument, VectorStore } from './types.ts';

const MAX_ID_LENGTH = 512;
const COLUMNS = 'id, tenant, content, metadata, version, updated_at';

interface DocumentRow {
  id: string;
  tenant: string | null;
  content: string;
  metadata: Record<string, unknown> | string;
  version: string | number;
  updated_at: string | Date;
}

function toDocument(row: DocumentRow): StoredDocument {
  return {
    id: row.id,
    tenant: row.tenant,
    content: row.content,
    metadata: typeof row.metadata === 'string' ? (JSON.parse(row.metadata) as Record<string, unknown>) : row.metadata,
    version: Number(row.version),
    updatedAt: row.updated_at instanceof Date ? row.updated_at.toISOString() : new Date(row.updated_at).toISOString(),
  };
}

/** A document id as the store accepts it, else E_VECTOR_DOCUMENT. */
export function checkId(id: unknown, what = 'document id'): string {
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH) {
    throw new VectorError(
      'E_VECTOR_DOCUMENT',
      `${what} must be a non-empty string of at most ${MAX_ID_LENGTH} characters`,
    );
  }
  return id;
}

export type DocumentOps = Pick<
  VectorStore,
  'putDocument' | 'deleteDocument' | 'getDocument' | 'listDocuments' | 'countDocuments'
>;

/** The document operations of the store whose quoted schema is `s`. */
export function documentOps(client: SqlClient, s: string): DocumentOps {
  return {
    async putDocument(doc) {
      checkId(doc.id);
      if (typeof doc.content !== 'string')
        throw new VectorError('E_VECTOR_DOCUMENT', `document '${doc.id}' needs text content`);
      // The version of an update is drawn in DO UPDATE, i.e. while this statement holds the row
      // lock: of two concurrent writes, the one that commits last always gets the larger version.
      // (A `nextval` in VALUES is evaluated before the lock is taken, so a writer that drew first
      // but waited on the lock would otherwise store its text under the *smaller* version, behind
      // a vector of the other text.) The VALUES `nextval` only counts when the insert succeeds,
      // i.e. when no row for the id exists — and then neither does any vector of it (FK cascade).
      const rows = await client.query<DocumentRow>(
        `INSERT INTO ${s}.documents (id, tenant, content, metadata, version, updated_at)
VALUES ($1, $2, $3, $4::jsonb, nextval('${s}.document_version'), now())
ON CONFLICT (id) DO UPDATE SET tenant = EXCLUDED.tenant, content = EXCLUDED.content, metadata = EXCLUDED.metadata,
  version = nextval('${s}.document_version'), updated_at = now()
RETURNING ${COLUMNS}`,
        [doc.id, doc.tenant ?? null, doc.content, JSON.stringify(doc.metadata ?? {})],
      );
      return toDocument(rows[0]!);
    },

    async deleteDocument(id) {
      const rows = await client.query(`DELETE FROM ${s}.documents WHERE id = $1 RETURNING id`, [checkId(id)]);
      return rows.length > 0;
    },

    async getDocument(id) {
      const rows = await client.query<DocumentRow>(`SELECT ${COLUMNS} FROM ${s}.documents WHERE id = $1`, [
        checkId(id),
      ]);
      return rows[0] ? toDocument(rows[0]) : undefined;
    },

    async listDocuments(afterId, limit) {
      if (!Number.isInteger(limit) || limit < 1)
        throw new VectorError('E_VECTOR_DOCUMENT', `limit must be a positive integer, got ${limit}`);
      const rows =
        afterId === null
          ? await client.query<DocumentRow>(`SELECT ${COLUMNS} FROM ${s}.documents ORDER BY id LIMIT $1`, [limit])
          : await client.query<DocumentRow>(
              `SELECT ${COLUMNS} FROM ${s}.documents WHERE id > $1 ORDER BY id LIMIT $2`,
              [afterId, limit],
            );
      return rows.map(toDocument);
    },

    async countDocuments() {
      const rows = await client.query<{ n: string | number }>(`SELECT count(*) AS n FROM ${s}.documents`);
      return Number(rows[0]!.n);
    },
  };
}
