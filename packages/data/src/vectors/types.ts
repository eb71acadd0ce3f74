/** The vector store's public shapes (what `openVectorStore` returns and takes). */
import type { SqlClient, SqlExecutor } from '../store/sql-client.ts';
import type { VectorStoreSchemaReport, VectorType } from './schema.ts';
import type { VectorLike } from './vector-math.ts';

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
