/**
 * Embeddings for retrieval through the `openai` SDK (OpenAI or any compatible server). The vector
 * layer of `@switchyard/data` takes any `Embedder`, so an application plugs in the client it
 * already has; this one asks for the route's dimension explicitly (text-embedding-3 models shorten
 * their vectors on request) and checks that every vector has it before anything is stored.
 */
import OpenAI from 'openai';
import type { Embedder, EmbedResult } from '@switchyard/data';
import { ServiceError } from './errors.ts';

export interface EmbedderOptions {
  baseURL: string;
  apiKey: string;
  /** SDK retries (0 against the offline server, which never flakes). */
  maxRetries: number;
}

/** An `Embedder` over the `openai` SDK. Failures reject; routed reads treat them as "no result". */
export function openaiEmbedder(options: EmbedderOptions): Embedder {
  const client = new OpenAI({
    apiKey: options.apiKey,
    baseURL: options.baseURL,
    maxRetries: options.maxRetries,
    timeout: 60_000,
  });
  async function embedWithUsage(
    model: string,
    dimension: number,
    texts: readonly string[],
    call: { signal?: AbortSignal } = {},
  ): Promise<EmbedResult> {
    if (texts.length === 0) return { vectors: [], promptTokens: 0 };
    const response = await client.embeddings.create(
      { model, input: [...texts], dimensions: dimension },
      call.signal ? { signal: call.signal } : undefined,
    );
    const vectors = new Array<Float32Array>(texts.length);
    for (const item of response.data) {
      const vector = Float32Array.from(item.embedding);
      if (vector.length !== dimension)
        throw new ServiceError(
          'E_EMBED_DIMENSION',
          `${model} returned ${vector.length}-dimensional vectors; the route says ${dimension}`,
        );
      if (item.index < 0 || item.index >= texts.length || vectors[item.index] !== undefined)
        throw new ServiceError('E_EMBED_RESPONSE', `embeddings API returned a bad or duplicate index ${item.index}`);
      vectors[item.index] = vector;
    }
    if (vectors.some((v) => v === undefined) || response.data.length !== texts.length) {
      throw new ServiceError(
        'E_EMBED_RESPONSE',
        `embeddings API returned ${response.data.length} vectors for ${texts.length} inputs`,
      );
    }
    return { vectors, promptTokens: response.usage?.prompt_tokens ?? 0 };
  }
  return {
    baseURL: options.baseURL,
    embedWithUsage,
    async embed(model, dimension, texts) {
      return (await embedWithUsage(model, dimension, texts)).vectors;
    },
  };
}
