/**
 * Model calls through the real `openai` SDK: chat completions on the snapshot the runtime chose,
 * embeddings for shadow similarity. Offline (the default) every call goes to the embedded offline
 * model server; with a real key to OpenAI or `OPENAI_BASE_URL`, and an alias whose provider is
 * `openai-compatible` to that provider's base URL.
 */
import OpenAI from 'openai';
import type { PayloadModelParams, PayloadProvider } from '@switchyard/runtime';
import { cosine, tokenF1 } from '@switchyard/data';
import { ApiError } from './errors.ts';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ChatAnswer {
  content: string;
  /** The model that actually answered (the response's `model` field). */
  model: string;
  usage: { promptTokens: number; completionTokens: number; totalTokens: number } | null;
  latencyMs: number;
}

export type Provider = PayloadProvider | null;

export interface ModelGatewayOptions {
  baseUrl: string;
  apiKey: string;
  /** True when the endpoint is the offline model server (no retries, every provider goes there). */
  offline: boolean;
  /** Deadline per call (default 30 s offline, 60 s otherwise). */
  timeoutMs?: number;
  /** Embedding model used to score shadow similarity (default text-embedding-3-small). */
  similarityModel?: string;
}

export class ModelGateway {
  readonly openai: OpenAI;
  readonly offline: boolean;
  readonly baseUrl: string;
  private readonly options: ModelGatewayOptions;
  private readonly byBaseUrl = new Map<string, OpenAI>();

  constructor(options: ModelGatewayOptions) {
    this.options = options;
    this.offline = options.offline;
    this.baseUrl = options.baseUrl;
    this.openai = this.make(options.baseUrl);
  }

  private make(baseURL: string): OpenAI {
    return new OpenAI({
      apiKey: this.options.apiKey,
      baseURL,
      maxRetries: this.options.offline ? 0 : 2,
      timeout: this.options.timeoutMs ?? (this.options.offline ? 30_000 : 60_000),
    });
  }

  /** The SDK client for an alias's provider (the default endpoint offline and for plain `openai`). */
  clientFor(provider: Provider): OpenAI {
    if (this.offline || provider === null || provider.type === 'openai') return this.openai;
    // Ollama also serves the OpenAI wire under /v1; Anthropic and custom HTTP endpoints do not, and
    // this example speaks only that wire: refuse rather than send their calls to OpenAI.
    if (provider.type === 'anthropic' || provider.type === 'http')
      throw new ApiError(
        'E_MODEL_UNAVAILABLE',
        `this service calls models over the OpenAI wire only; a ${provider.type} provider is not supported`,
      );
    const baseUrl = provider.type === 'ollama' ? `${provider.baseUrl.replace(/\/+$/, '')}/v1` : provider.baseUrl;
    let client = this.byBaseUrl.get(baseUrl);
    if (!client) {
      client = this.make(baseUrl);
      this.byBaseUrl.set(baseUrl, client);
    }
    return client;
  }

  /** One chat completion on `snapshot`. Model failures become `E_MODEL_UNAVAILABLE` (502), the provider's text kept for the log only. */
  async chat(
    snapshot: string,
    messages: ChatMessage[],
    params: PayloadModelParams,
    provider: Provider = null,
  ): Promise<ChatAnswer> {
    const started = performance.now();
    try {
      const r = await this.clientFor(provider).chat.completions.create({ model: snapshot, messages, ...params });
      const usage = r.usage
        ? {
            promptTokens: r.usage.prompt_tokens,
            completionTokens: r.usage.completion_tokens,
            totalTokens: r.usage.total_tokens,
          }
        : null;
      return {
        content: r.choices[0]?.message.content ?? '',
        model: r.model,
        usage,
        latencyMs: performance.now() - started,
      };
    } catch (error) {
      // The provider's text (e.g. "Incorrect API key provided: sk-…abcd") is logged, not sent.
      throw new ApiError(
        'E_MODEL_UNAVAILABLE',
        `the model ${snapshot} could not answer; retry later`,
        undefined,
        describe(error),
      );
    }
  }

  /**
   * Similarity of two answers as the CI shadow eval scores them: cosine of their embeddings; token
   * F1 when the embeddings endpoint fails (the pair is still evidence, scored lexically).
   */
  async similarity(a: string, b: string): Promise<{ score: number; method: 'embedding-cosine' | 'token-f1' }> {
    try {
      const e = await this.openai.embeddings.create({
        model: this.options.similarityModel ?? 'text-embedding-3-small',
        input: [a, b],
      });
      const va = e.data.find((d) => d.index === 0)?.embedding ?? [];
      const vb = e.data.find((d) => d.index === 1)?.embedding ?? [];
      return { score: cosine(va, vb), method: 'embedding-cosine' };
    } catch {
      return { score: tokenF1(a, b), method: 'token-f1' };
    }
  }
}

/** A short, key-free description of an SDK error. */
export function describe(error: unknown): string {
  if (error instanceof OpenAI.APIError) return `${error.status ?? 'no status'} ${error.message}`.slice(0, 300);
  return (error instanceof Error ? error.message : String(error)).slice(0, 300);
}
