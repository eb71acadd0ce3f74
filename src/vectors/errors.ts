/**
 * Vector-store problems with a stable code (`E_VECTOR_*`, `E_EMBED_*`). Pure functions return
 * data; the store and the embedder throw these so callers can branch on `code`.
 */
export class VectorError extends Error {
  override name = 'VectorError';
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}
