/**
 * Vector stores over the project's SQL clients (PGlite with pgvector embedded, PostgreSQL with
 * pgvector or `real[]`), the embedder interface they call, and phase-routed reads and writes.
 */
export { VectorError } from './errors.ts';
export { indexTableName } from './names.ts';
export {
  VECTOR_STORE_MIGRATIONS,
  migrateVectorStore,
  detectPgvector,
  type VectorType,
  type VectorStoreSchemaReport,
} from './schema.ts';
export {
  openVectorStore,
  DEFAULT_VECTOR_SCHEMA,
  type DocumentInput,
  type EmbeddingRow,
  type EmbeddingTarget,
  type IndexInfo,
  type OpenVectorStoreOptions,
  type SearchHit,
  type SearchOptions,
  type StoredDocument,
  type UpsertResult,
  type RetiredIndex,
  type VectorOps,
  type VectorStore,
  type VectorTransaction,
} from './store.ts';
export { openVectorDatabase, type VectorDatabaseOptions } from './open.ts';
export type { Embedder, EmbedResult } from './embedder.ts';
export {
  indexDocument,
  removeDocument,
  searchDocuments,
  type EmbeddingRoute,
  type IndexedDocument,
  type RoutedSearch,
  type RoutedSearchAttempt,
} from './routing.ts';
export { cosine, normalise, vectorLiteral, type VectorLike } from './vector-math.ts';
export { tokenize, stem, STOPWORDS, tokenF1 } from './lexical.ts';
