import { quoteIdent, type SqlClient, type SqlExecutor } from '../store/sql-client.ts';
import { VectorError } from './errors.ts';
import { checkSchemaName, indexTableName } from './names.ts';
import { migrateVectorStore, type VectorStoreSchemaReport, type VectorType } from './schema.ts';
import { normalise, vectorLiteral, type VectorLike } from './vector-math.ts';

/** One embedding index as a plan names it (the runtime's `PayloadEmbeddingTarget` has this shape). */
export interface EmbeddingTarget {
  model: string;
  dimension: number;
  index: string;
}

/** A catalogued index. */
export interface IndexInfo extends EmbeddingTarget {
  /** Unquoted table name in the store's schema (`emb_<index>`). */
  table: string;
  vectorType: VectorType;
}

/** A document to store (`putDocument`, `indexDocument`): the text every index embeds. */
export interface DocumentInput {
  /** Stable id, 1..512 characters; keyset order is byte order (C collation). */
  id: string;
  /** The text that is embedded (replaced whole on every write). */
  content: string;
  /** Optional owner, for `search(…, { tenant })` filtering; null or absent for none. */
  tenant?: string | null;
  /** Free JSON stored with the document (not embedded); `{}` when absent. */
  metadata?: Record<string, unknown>;
}

/** A document as stored: the source of truth every index is derived from. */
export interface StoredDocument {
  id: string;
  tenant: string | null;
  content: string;
  metadata: Record<string, unknown>;
  /** Bumped on every write from one sequence: never reused, so (id, version) names one text. */
  version: number;
  updatedAt: string;
}

/** A vector to upsert into an index (`upsertEmbeddings`). */
export interface EmbeddingRow {
  /** The document's id. */
  id: string;
  /** The document version the vector was computed from: written only while it is the current one. */
  version: number;
  /** The index's dimension; normalised to unit length on write. */
  embedding: VectorLike;
}

export interface UpsertResult {
  /** Rows inserted or replaced. */
  written: number;
  /**
   * Ids not written because the vector was computed from a version that is not the document's
   * current one (the document changed or was deleted meanwhile). Not an error: whoever wrote the
   * current version writes (or wrote) its embedding.
   */
  skipped: string[];
}

export interface SearchHit {
  id: string;
  /** Cosine similarity (vectors are stored L2-normalised, so the dot product). */
  score: number;
  /** Document version the hit's vector was computed from. */
  version: number;
}

export interface SearchOptions {
  /** Only documents of this tenant. */
  tenant?: string;
}

/** The operations that may run inside one transaction (the runner's batch + checkpoint). */
export interface VectorOps {
  /**
   * Writes vectors into `index` under the write rule: only for the document's current version
   * (others are returned in `skipped`), replacing a vector of any other version; idempotent.
   * E_VECTOR_NO_INDEX / E_VECTOR_INDEX_RETIRED when the index does not exist, E_VECTOR_DIMENSION
   * for a wrong length.
   */
  upsertEmbeddings(index: string, rows: readonly EmbeddingRow[]): Promise<UpsertResult>;
  /** Removes one document's vector from `index` (the document stays); false when there was none. */
  deleteEmbedding(index: string, id: string): Promise<boolean>;
}

export interface VectorTransaction extends VectorOps {
  /** Raw SQL on the transaction's connection (for the caller's own bookkeeping rows). */
  readonly sql: SqlExecutor;
}

export interface VectorStore extends VectorOps {
  readonly backend: 'pglite' | 'postgres';
  readonly schema: string;
  /** Column type of new indexes: pgvector when the database has it, else `real[]` with exact search. */
  readonly vectorType: VectorType;
  readonly migration: VectorStoreSchemaReport;
  readonly client: SqlClient;
  /** Creates the index's table when missing (idempotent); refuses a different model or dimension. */
  ensureIndex(target: EmbeddingTarget): Promise<IndexInfo>;
  /** The catalogued index, or undefined. */
  getIndex(name: string): Promise<IndexInfo | undefined>;
  listIndexes(): Promise<IndexInfo[]>;
  /** Drops the index's table and catalog entry; false when there was none. The name may be re-created. */
  dropIndex(name: string): Promise<boolean>;
  /**
   * Drops the index for good: its table and catalog entry go, and a marker in `retired_indexes`
   * makes `ensureIndex` (hence every application write routed to it) refuse to re-create it
   * (`E_VECTOR_INDEX_RETIRED`). What `switchyard migrate embeddings --cleanup` calls. Idempotent;
   * `dropped` is false when the table was already gone.
   */
  retireIndex(name: string, reason: string): Promise<{ dropped: boolean }>;
  /** The retirement marker of an index, or undefined when it is not retired. */
  getRetired(name: string): Promise<RetiredIndex | undefined>;
  /** Inserts or replaces a document; returns it with its new version. */
  putDocument(doc: DocumentInput): Promise<StoredDocument>;
  /** Deletes a document and its embeddings in every index (one transaction); false when absent. */
  deleteDocument(id: string): Promise<boolean>;
  getDocument(id: string): Promise<StoredDocument | undefined>;
  /** Documents with id > `afterId` (keyset, byte order), at most `limit`. */
  listDocuments(afterId: string | null, limit: number): Promise<StoredDocument[]>;
  countDocuments(): Promise<number>;
  /** Top-k by cosine similarity, exact search; ties broken by id. */
  search(index: string, query: VectorLike, k: number, options?: SearchOptions): Promise<SearchHit[]>;
  countEmbeddings(index: string): Promise<number>;
  /** Quoted, schema-qualified table name of a catalogued index (for callers' own SQL). */
  tableOf(index: string): Promise<string>;
  /** Runs `fn` in one transaction. */
  transaction<T>(fn: (tx: VectorTransaction) => Promise<T>): Promise<T>;
  /** Closes the client when the store owns it (see openVectorDatabase); otherwise a no-op. */
  close(): Promise<void>;
}

/** An index a cleanup dropped for good (see `VectorStore.retireIndex`). */
export interface RetiredIndex {
  index: string;
  model: string;
  dimension: number;
  reason: string;
  retiredAt: string;
}

export interface OpenVectorStoreOptions {
  /** PostgreSQL schema holding the tables (default `switchyard`). */
  schema?: string;
  /** Force a vector column type for new indexes (default: detect). */
  vectorType?: VectorType | 'auto';
  /** Close the client in `close()` (set by openVectorDatabase). */
  ownsClient?: boolean;
}

export const DEFAULT_VECTOR_SCHEMA = 'switchyard';
const MAX_ID_LENGTH = 512;
const MAX_K = 1000;

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

function checkId(id: unknown, what = 'document id'): string {
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH) {
    throw new VectorError(
      'E_VECTOR_DOCUMENT',
      `${what} must be a non-empty string of at most ${MAX_ID_LENGTH} characters`,
    );
  }
  return id;
}

function isMissingRelation(error: unknown): boolean {
  return (error as { code?: string }).code === '42P01' || /does not exist/.test((error as Error).message ?? '');
}

/**
 * Opens the vector store over an existing SQL client (PGlite or `pg`): migrates its tables and
 * detects the vector type once. The same SQL runs on both backends.
 */
export async function openVectorStore(client: SqlClient, options: OpenVectorStoreOptions = {}): Promise<VectorStore> {
  const schema = checkSchemaName(options.schema ?? DEFAULT_VECTOR_SCHEMA);
  const s = quoteIdent(schema);
  const migration = await migrateVectorStore(client, schema, options.vectorType ?? 'auto');
  const cache = new Map<string, IndexInfo>();
  const qualified = (table: string) => `${s}.${quoteIdent(table)}`;

  const rowToInfo = (r: {
    name: string;
    table_name: string;
    model: string;
    dimension: number;
    vector_type: string;
  }): IndexInfo => ({
    index: r.name,
    table: r.table_name,
    model: r.model,
    dimension: Number(r.dimension),
    vectorType: r.vector_type as VectorType,
  });

  async function lookup(sql: SqlExecutor, name: string): Promise<IndexInfo | undefined> {
    const cached = cache.get(name);
    if (cached) return cached;
    const rows = await sql.query<{
      name: string;
      table_name: string;
      model: string;
      dimension: number;
      vector_type: string;
    }>(`SELECT name, table_name, model, dimension, vector_type FROM ${s}.vector_indexes WHERE name = $1`, [name]);
    if (rows.length === 0) return undefined;
    const info = rowToInfo(rows[0]!);
    cache.set(name, info);
    return info;
  }

  async function retired(sql: SqlExecutor, name: string): Promise<RetiredIndex | undefined> {
    const rows = await sql.query<{
      name: string;
      model: string;
      dimension: number;
      reason: string;
      retired_at: string | Date;
    }>(`SELECT name, model, dimension, reason, retired_at FROM ${s}.retired_indexes WHERE name = $1`, [name]);
    const r = rows[0];
    if (!r) return undefined;
    return {
      index: r.name,
      model: r.model,
      dimension: Number(r.dimension),
      reason: r.reason,
      retiredAt: r.retired_at instanceof Date ? r.retired_at.toISOString() : new Date(r.retired_at).toISOString(),
    };
  }

  const retiredError = (name: string, marker: RetiredIndex) =>
    new VectorError(
      'E_VECTOR_INDEX_RETIRED',
      `vector index '${name}' was retired at ${marker.retiredAt} (${marker.reason}): it is not re-created; route reads and writes to the live index (publish the plan's current phase)`,
    );

  async function require(sql: SqlExecutor, name: string): Promise<IndexInfo> {
    const info = await lookup(sql, name);
    if (info) return info;
    const marker = await retired(sql, name);
    if (marker) throw retiredError(name, marker);
    throw new VectorError(
      'E_VECTOR_NO_INDEX',
      `no vector index '${name}' in schema ${schema} (it is created by the first write or by \`switchyard migrate embeddings\`)`,
    );
  }

  /** Runs an index query; a table dropped by another process surfaces as E_VECTOR_NO_INDEX. */
  async function onIndex<T>(sql: SqlExecutor, name: string, fn: (info: IndexInfo) => Promise<T>): Promise<T> {
    const info = await require(sql, name);
    try {
      return await fn(info);
    } catch (error) {
      if (isMissingRelation(error)) {
        cache.delete(name);
        throw new VectorError('E_VECTOR_NO_INDEX', `vector index '${name}' was dropped`);
      }
      throw error;
    }
  }

  function ops(sql: SqlExecutor): VectorOps {
    return {
      async upsertEmbeddings(index, rows) {
        if (rows.length === 0) return { written: 0, skipped: [] };
        return onIndex(sql, index, async (info) => {
          // One row per id (ON CONFLICT may not touch a row twice in one statement): keep the newest version.
          const newest = new Map<string, EmbeddingRow>();
          for (const row of rows) {
            checkId(row.id);
            if (!Number.isSafeInteger(row.version) || row.version < 1)
              throw new VectorError(
                'E_VECTOR_DOCUMENT',
                `embedding for '${row.id}' has an invalid version ${row.version}`,
              );
            const seen = newest.get(row.id);
            if (!seen || seen.version < row.version) newest.set(row.id, row);
          }
          const ids: string[] = [];
          const versions: string[] = [];
          const literals: string[] = [];
          for (const row of newest.values()) {
            ids.push(row.id);
            versions.push(String(row.version));
            literals.push(
              vectorLiteral(normalise(row.embedding, info.dimension, `embedding of '${row.id}'`), info.vectorType),
            );
          }
          const cast = info.vectorType === 'pgvector' ? 'vector' : 'real[]';
          // The join writes a vector only for the document's *current* version, and FOR SHARE holds
          // that row until commit: a concurrent update or delete waits for us (then supersedes or
          // cascades), and one that committed first makes the row drop out. So every row that
          // reaches ON CONFLICT carries the current version, and an existing vector of any *other*
          // version — older, or (for data written before versions were drawn under the row lock)
          // larger — is stale and replaced. Together: a backfill racing the app can neither lose a
          // newer write, resurrect a deleted document, nor store a stale text.
          const written = await sql.query<{ doc_id: string }>(
            `INSERT INTO ${qualified(info.table)} AS e (doc_id, version, model, embedding, updated_at)
SELECT v.id, v.version, $4, v.embedding::${cast}, now()
FROM unnest($1::text[], $2::bigint[], $3::text[]) AS v(id, version, embedding)
JOIN ${s}.documents d ON d.id = v.id AND d.version = v.version
ORDER BY v.id
FOR SHARE OF d
ON CONFLICT (doc_id) DO UPDATE SET version = EXCLUDED.version, model = EXCLUDED.model, embedding = EXCLUDED.embedding, updated_at = EXCLUDED.updated_at
RETURNING e.doc_id`,
            [ids, versions, literals, info.model],
          );
          const done = new Set(written.map((r) => r.doc_id));
          return { written: done.size, skipped: ids.filter((id) => !done.has(id)) };
        });
      },
      async deleteEmbedding(index, id) {
        return onIndex(sql, index, async (info) => {
          const rows = await sql.query(`DELETE FROM ${qualified(info.table)} WHERE doc_id = $1 RETURNING doc_id`, [
            checkId(id),
          ]);
          return rows.length > 0;
        });
      },
    };
  }

  const base = ops(client);
  const store: VectorStore = {
    backend: client.backend,
    schema,
    vectorType: migration.vectorType,
    migration,
    client,
    ...base,

    async ensureIndex(target) {
      const table = indexTableName(target.index);
      if (typeof target.model !== 'string' || target.model === '')
        throw new VectorError('E_VECTOR_INDEX_MISMATCH', `index '${target.index}' needs a model name`);
      if (!Number.isInteger(target.dimension) || target.dimension < 1 || target.dimension > 16000) {
        throw new VectorError(
          'E_VECTOR_DIMENSION',
          `index '${target.index}': dimension ${target.dimension} is outside 1..16000`,
        );
      }
      const mismatch = (existing: IndexInfo): VectorError | undefined =>
        existing.model !== target.model || existing.dimension !== target.dimension
          ? new VectorError(
              'E_VECTOR_INDEX_MISMATCH',
              `index '${target.index}' holds ${existing.model} (${existing.dimension} dims), not ${target.model} (${target.dimension} dims): use a new index name for a new model or dimension`,
            )
          : undefined;
      // Expected refusals are decided outside the transaction: a transaction that throws costs the
      // `pg` adapter its connection (destroyed rather than trusted after a failure).
      const known = await lookup(client, target.index);
      if (known) {
        const problem = mismatch(known);
        if (problem) throw problem;
        return known;
      }
      const outcome = await client.transaction(async (tx): Promise<IndexInfo | VectorError> => {
        await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`switchyard-vectors:${schema}`]);
        cache.delete(target.index);
        const existing = await lookup(tx, target.index);
        if (existing) return mismatch(existing) ?? existing;
        // Checked under the same lock retireIndex takes: a retirement and a re-creation cannot interleave.
        const marker = await retired(tx, target.index);
        if (marker) return retiredError(target.index, marker);
        const clash = await tx.query<{ name: string }>(`SELECT name FROM ${s}.vector_indexes WHERE table_name = $1`, [
          table,
        ]);
        if (clash.length > 0)
          return new VectorError(
            'E_VECTOR_INDEX_NAME',
            `index '${target.index}' would share table ${table} with index '${clash[0]!.name}'`,
          );
        const type = migration.vectorType;
        const column =
          type === 'pgvector'
            ? `vector(${target.dimension}) NOT NULL`
            : `real[] NOT NULL CHECK (array_ndims(embedding) = 1 AND array_length(embedding, 1) = ${target.dimension})`;
        // ON DELETE CASCADE: deleting a document removes its vectors from every index atomically.
        await tx.exec(`CREATE TABLE IF NOT EXISTS ${qualified(table)} (
  doc_id text COLLATE "C" PRIMARY KEY REFERENCES ${s}.documents (id) ON DELETE CASCADE,
  version bigint NOT NULL,
  model text NOT NULL,
  embedding ${column},
  updated_at timestamptz NOT NULL DEFAULT now()
)`);
        await tx.query(
          `INSERT INTO ${s}.vector_indexes (name, table_name, model, dimension, vector_type) VALUES ($1, $2, $3, $4, $5)`,
          [target.index, table, target.model, target.dimension, type],
        );
        return {
          index: target.index,
          table,
          model: target.model,
          dimension: target.dimension,
          vectorType: type,
        } satisfies IndexInfo;
      });
      if (outcome instanceof VectorError) {
        cache.delete(target.index);
        throw outcome;
      }
      const info = outcome;
      cache.set(target.index, info);
      return info;
    },

    getIndex: (name) => {
      cache.delete(name);
      return lookup(client, name);
    },

    async listIndexes() {
      const rows = await client.query<{
        name: string;
        table_name: string;
        model: string;
        dimension: number;
        vector_type: string;
      }>(`SELECT name, table_name, model, dimension, vector_type FROM ${s}.vector_indexes ORDER BY name`);
      return rows.map(rowToInfo);
    },

    async dropIndex(name) {
      const dropped = await client.transaction(async (tx) => {
        await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`switchyard-vectors:${schema}`]);
        const rows = await tx.query<{ table_name: string }>(
          `DELETE FROM ${s}.vector_indexes WHERE name = $1 RETURNING table_name`,
          [name],
        );
        if (rows.length === 0) return false;
        await tx.exec(`DROP TABLE IF EXISTS ${qualified(rows[0]!.table_name)}`);
        return true;
      });
      cache.delete(name);
      return dropped;
    },

    async retireIndex(name, reason) {
      const dropped = await client.transaction(async (tx) => {
        await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`switchyard-vectors:${schema}`]);
        const rows = await tx.query<{ table_name: string; model: string; dimension: number }>(
          `DELETE FROM ${s}.vector_indexes WHERE name = $1 RETURNING table_name, model, dimension`,
          [name],
        );
        const row = rows[0];
        // The marker is written even when the index is already gone (a plain drop, or a re-run):
        // what matters is that nothing re-creates it from now on.
        await tx.query(
          `INSERT INTO ${s}.retired_indexes (name, table_name, model, dimension, reason) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name) DO NOTHING`,
          [name, row?.table_name ?? indexTableName(name), row?.model ?? '', row?.dimension ?? 0, reason],
        );
        if (!row) return false;
        await tx.exec(`DROP TABLE IF EXISTS ${qualified(row.table_name)}`);
        return true;
      });
      cache.delete(name);
      return { dropped };
    },

    getRetired: (name) => retired(client, name),

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
RETURNING id, tenant, content, metadata, version, updated_at`,
        [doc.id, doc.tenant ?? null, doc.content, JSON.stringify(doc.metadata ?? {})],
      );
      return toDocument(rows[0]!);
    },

    async deleteDocument(id) {
      const rows = await client.query(`DELETE FROM ${s}.documents WHERE id = $1 RETURNING id`, [checkId(id)]);
      return rows.length > 0;
    },

    async getDocument(id) {
      const rows = await client.query<DocumentRow>(
        `SELECT id, tenant, content, metadata, version, updated_at FROM ${s}.documents WHERE id = $1`,
        [checkId(id)],
      );
      return rows[0] ? toDocument(rows[0]) : undefined;
    },

    async listDocuments(afterId, limit) {
      if (!Number.isInteger(limit) || limit < 1)
        throw new VectorError('E_VECTOR_DOCUMENT', `limit must be a positive integer, got ${limit}`);
      const rows =
        afterId === null
          ? await client.query<DocumentRow>(
              `SELECT id, tenant, content, metadata, version, updated_at FROM ${s}.documents ORDER BY id LIMIT $1`,
              [limit],
            )
          : await client.query<DocumentRow>(
              `SELECT id, tenant, content, metadata, version, updated_at FROM ${s}.documents WHERE id > $1 ORDER BY id LIMIT $2`,
              [afterId, limit],
            );
      return rows.map(toDocument);
    },

    async countDocuments() {
      const rows = await client.query<{ n: string | number }>(`SELECT count(*) AS n FROM ${s}.documents`);
      return Number(rows[0]!.n);
    },

    async search(index, query, k, options = {}) {
      if (!Number.isInteger(k) || k < 1 || k > MAX_K)
        throw new VectorError('E_VECTOR_QUERY', `k must be an integer in 1..${MAX_K}, got ${k}`);
      return onIndex(client, index, async (info) => {
        const literal = vectorLiteral(normalise(query, info.dimension, `query vector for '${index}'`), info.vectorType);
        const params: unknown[] = [literal, k];
        const tenantJoin =
          options.tenant === undefined ? '' : `JOIN ${s}.documents d ON d.id = e.doc_id AND d.tenant = $3`;
        if (options.tenant !== undefined) params.push(options.tenant);
        const sql =
          info.vectorType === 'pgvector'
            ? `SELECT e.doc_id AS id, e.version, -(e.embedding <#> $1::vector) AS score FROM ${qualified(info.table)} e ${tenantJoin}
ORDER BY e.embedding <#> $1::vector, e.doc_id LIMIT $2`
            : // Exact search without pgvector: the dot product of unit vectors, computed per row.
              `SELECT e.doc_id AS id, e.version, (SELECT sum(a::float8 * b::float8) FROM unnest(e.embedding, $1::real[]) AS t(a, b)) AS score
FROM ${qualified(info.table)} e ${tenantJoin} ORDER BY score DESC, e.doc_id LIMIT $2`;
        const rows = await client.query<{ id: string; version: string | number; score: string | number }>(sql, params);
        return rows.map((r) => ({ id: r.id, version: Number(r.version), score: Number(r.score) }));
      });
    },

    async countEmbeddings(index) {
      return onIndex(client, index, async (info) => {
        const rows = await client.query<{ n: string | number }>(`SELECT count(*) AS n FROM ${qualified(info.table)}`);
        return Number(rows[0]!.n);
      });
    },

    async tableOf(index) {
      return qualified((await require(client, index)).table);
    },

    transaction(fn) {
      return client.transaction((tx) => fn({ sql: tx, ...ops(tx) }));
    },

    async close() {
      if (options.ownsClient) await client.close();
    },
  };
  return store;
}
