import { SwitchyardError } from '@switchyard/runtime';

/**
 * Vector-store problems with a stable code (`E_VECTOR_*`, `E_EMBED_*`). Pure functions return
 * data; the store and the embedder throw these so callers can branch on `code`: e.g.
 * E_VECTOR_NO_INDEX, E_VECTOR_INDEX_RETIRED, E_VECTOR_INDEX_MISMATCH, E_VECTOR_DIMENSION,
 * E_VECTOR_DOCUMENT, E_VECTOR_WRITE, E_STORE_LOCKED / E_STORE_OPEN (opening), E_EMBED_* (the
 * embeddings API, see `EmbeddingError`).
 */
export class VectorError extends SwitchyardError {
  override name = 'VectorError';
}
