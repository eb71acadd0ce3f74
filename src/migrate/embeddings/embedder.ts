/**
 * Embeddings through the real `openai` SDK, against OpenAI or any compatible server (the offline
 * model server by default, see `openEmbeddingEndpoint`). Failures become `EmbeddingError`s that say
 * whether a retry can help and how long the server asked to wait, so the backfill runner owns the
 * retry policy (the SDK's own retries are off by default).
 */
import OpenAI, { APIConnectionError, APIError } from 'openai';
import { OFFLINE_API_KEY, openModelEndpoint, type ModelEndpoint } from '../../eval/endpoint.ts';
import { VectorError, type Embedder, type EmbedResult } from '@switchyard/data';

/** Native output dimension of well-known embedding models (`dimensions` is sent only below these). */
export const NATIVE_DIMENSIONS: Readonly<Record<string, number>> = {
  'text-embedding-3-small': 1536,
  'text-embedding-3-large': 3072,
  'text-embedding-ada-002': 1536,
};

export interface EmbedderOptions {
  baseURL: string;
  apiKey: string;
  /** The SDK's own retries (default 0: the caller retries with its own backoff). */
  maxRetries?: number;
  /** Per-request timeout (default 60 s). */
  timeoutMs?: number;
  /**
   * When to send the `dimensions` parameter: `auto` (default) only for a known model whose native
   * dimension is larger than the one asked for; `always`; `never`.
   */
  sendDimensions?: 'auto' | 'always' | 'never';
}

/** An embeddings API failure. `retryable`: 429, 5xx, 408/409, network errors and timeouts. */
export class EmbeddingError extends VectorError {
  override name = 'EmbeddingError';
  readonly status: number | undefined;
  readonly retryable: boolean;
  /** What the server asked for (Retry-After / retry-after-ms), in milliseconds. */
  readonly retryAfterMs: number | undefined;
  constructor(
    code: string,
    message: string,
    details: { status?: number; retryable: boolean; retryAfterMs?: number; cause?: unknown },
  ) {
    super(code, message, { cause: details.cause });
    this.status = details.status;
    this.retryable = details.retryable;
    this.retryAfterMs = details.retryAfterMs;
  }
}

/** Parses `retry-after-ms` or `retry-after` (seconds or an HTTP date); undefined when absent or bad. */
export function retryAfterMs(
  headers: { get(name: string): string | null } | undefined,
  now = Date.now(),
): number | undefined {
  if (!headers) return undefined;
  const ms = headers.get('retry-after-ms');
  if (ms !== null && ms.trim() !== '' && Number.isFinite(Number(ms)) && Number(ms) >= 0) return Number(ms);
  const value = headers.get('retry-after');
  if (value === null || value.trim() === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Maps an SDK error to an EmbeddingError. */
export function toEmbeddingError(error: unknown, model: string): EmbeddingError {
  if (error instanceof EmbeddingError) return error;
  if (error instanceof APIConnectionError) {
    return new EmbeddingError('E_EMBED_NETWORK', `embeddings request for ${model} failed: ${error.message}`, {
      retryable: true,
      cause: error,
    });
  }
  if (error instanceof APIError) {
    const status = error.status;
    const wait = retryAfterMs(error.headers as Headers | undefined);
    if (status === 429)
      return new EmbeddingError('E_EMBED_RATE_LIMITED', `embeddings API rate limit for ${model}: ${error.message}`, {
        status,
        retryable: true,
        retryAfterMs: wait,
        cause: error,
      });
    if (status !== undefined && (status >= 500 || status === 408 || status === 409)) {
      return new EmbeddingError('E_EMBED_SERVER', `embeddings API error ${status} for ${model}: ${error.message}`, {
        status,
        retryable: true,
        retryAfterMs: wait,
        cause: error,
      });
    }
    return new EmbeddingError(
      'E_EMBED_REQUEST',
      `embeddings API refused the request for ${model} (${status ?? 'no status'}): ${error.message}`,
      { status, retryable: false, cause: error },
    );
  }
  return new EmbeddingError(
    'E_EMBED_NETWORK',
    `embeddings request for ${model} failed: ${(error as Error)?.message ?? String(error)}`,
    { retryable: true, cause: error },
  );
}

/** An embedder over the `openai` SDK. */
export function createEmbedder(options: EmbedderOptions): Embedder {
  const client = new OpenAI({
    apiKey: options.apiKey,
    baseURL: options.baseURL,
    maxRetries: options.maxRetries ?? 0,
    timeout: options.timeoutMs ?? 60_000,
  });
  const mode = options.sendDimensions ?? 'auto';

  async function embedWithUsage(
    model: string,
    dimension: number,
    texts: readonly string[],
    call: { signal?: AbortSignal } = {},
  ): Promise<EmbedResult> {
    if (texts.length === 0) return { vectors: [], promptTokens: 0 };
    if (!Number.isInteger(dimension) || dimension < 1)
      throw new EmbeddingError('E_EMBED_DIMENSION', `dimension must be a positive integer, got ${dimension}`, {
        retryable: false,
      });
    const native = NATIVE_DIMENSIONS[model];
    if (native !== undefined && dimension > native) {
      throw new EmbeddingError(
        'E_EMBED_DIMENSION',
        `${model} produces at most ${native} dimensions; the plan asks for ${dimension}`,
        { retryable: false },
      );
    }
    const send = mode === 'always' || (mode === 'auto' && native !== undefined && dimension < native);
    let response;
    try {
      response = await client.embeddings.create(
        { model, input: [...texts], ...(send ? { dimensions: dimension } : {}), encoding_format: 'base64' },
        call.signal ? { signal: call.signal } : undefined,
      );
    } catch (error) {
      throw toEmbeddingError(error, model);
    }
    if (!Array.isArray(response.data) || response.data.length !== texts.length) {
      throw new EmbeddingError(
        'E_EMBED_RESPONSE',
        `embeddings API returned ${response.data?.length ?? 0} vectors for ${texts.length} inputs`,
        { retryable: true },
      );
    }
    const vectors = new Array<Float32Array>(texts.length);
    for (const item of response.data) {
      const raw = item.embedding as unknown;
      const vector = typeof raw === 'string' ? decodeBase64(raw) : Float32Array.from(raw as number[]);
      if (vector.length !== dimension) {
        throw new EmbeddingError(
          'E_EMBED_DIMENSION',
          `${model} returned ${vector.length}-dimensional vectors; the plan says ${dimension}${send ? '' : ' (the dimensions parameter was not sent: set sendDimensions: always if the model supports it)'}`,
          { retryable: false },
        );
      }
      const index = item.index ?? 0;
      if (index < 0 || index >= texts.length || vectors[index] !== undefined) {
        throw new EmbeddingError('E_EMBED_RESPONSE', `embeddings API returned a bad or duplicate index ${index}`, {
          retryable: true,
        });
      }
      vectors[index] = vector;
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

/**
 * The SDK decodes base64 itself when it chose the encoding; we ask for base64 explicitly (4 bytes
 * per value instead of ~20 characters of JSON), so the strings arrive as sent and are decoded here.
 */
function decodeBase64(text: string): Float32Array {
  const bytes = Buffer.from(text, 'base64');
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return new Float32Array(copy.buffer, 0, Math.floor(copy.byteLength / 4));
}

export type EmbeddingEndpoint = Pick<ModelEndpoint, 'baseUrl' | 'apiKey' | 'offline' | 'label' | 'close'>;

/**
 * Where embeddings come from: `baseUrl` when given (with `OPENAI_API_KEY`, or the offline key for
 * a local server), else the evaluator's convention — OpenAI with `OPENAI_API_KEY`, otherwise the
 * offline model server started in-process on 127.0.0.1 (closed by `close()`).
 */
export async function openEmbeddingEndpoint(env: NodeJS.ProcessEnv, baseUrl?: string): Promise<EmbeddingEndpoint> {
  if (baseUrl) {
    const url = baseUrl.replace(/\/+$/, '');
    const offline = !env.OPENAI_API_KEY || env.OPENAI_API_KEY === OFFLINE_API_KEY;
    return {
      baseUrl: url,
      apiKey: env.OPENAI_API_KEY || OFFLINE_API_KEY,
      offline,
      label: `embeddings API at ${url}`,
      close: async () => {},
    };
  }
  return openModelEndpoint(env);
}
