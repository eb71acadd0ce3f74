/**
 * What the vector layer needs from an embeddings API: the application brings its own (the `openai`
 * SDK, a local model …), so this package depends on no model client. Switchyard's CLI implements it
 * over the `openai` SDK in `src/migrate/embeddings/embedder.ts`.
 */

export interface EmbedResult {
  vectors: Float32Array[];
  /** Tokens the API counted (0 when it did not say). */
  promptTokens: number;
}

export interface Embedder {
  readonly baseURL: string;
  /** Embeds `texts` with `model` in `dimension` dimensions; one vector per text, in order. */
  embed(model: string, dimension: number, texts: readonly string[]): Promise<Float32Array[]>;
  /** Same, with the token usage (rate limiting by tokens per minute needs it). */
  embedWithUsage(
    model: string,
    dimension: number,
    texts: readonly string[],
    options?: { signal?: AbortSignal },
  ): Promise<EmbedResult>;
}
