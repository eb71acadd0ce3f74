/**
 * promptfoo providers backed by the real `openai` SDK. promptfoo receives them as objects, so every
 * model call of an eval — the prompt under test, the `llm-rubric` grader and the `similar` embedder —
 * goes through the same client and the same endpoint, and none falls back to promptfoo's defaults
 * (which would call api.openai.com).
 */
import type OpenAI from 'openai';
import type { ChatMessage, ModelParams } from '../config/types.ts';

/** What the suite puts in the prompt of each case: promptfoo renders it, the chat provider parses it. */
export interface ChatRequest {
  model: string;
  params: ModelParams;
  messages: ChatMessage[];
}

interface ProviderResult {
  output?: string;
  error?: string;
  tokenUsage?: { prompt: number; completion: number; total: number; numRequests: number };
}

function usageOf(u: OpenAI.CompletionUsage | undefined): ProviderResult['tokenUsage'] {
  return { prompt: u?.prompt_tokens ?? 0, completion: u?.completion_tokens ?? 0, total: u?.total_tokens ?? 0, numRequests: 1 };
}

function errorText(error: unknown): string {
  return `model call failed: ${(error as Error).message ?? String(error)}`;
}

/** The provider under test: the prompt is a JSON `ChatRequest`. */
export function chatProvider(client: OpenAI) {
  return {
    id: () => 'switchyard:chat',
    async callApi(prompt: string): Promise<ProviderResult> {
      let request: ChatRequest;
      try {
        request = JSON.parse(prompt) as ChatRequest;
      } catch {
        return { error: 'internal: the rendered prompt is not a Switchyard chat request' };
      }
      try {
        const r = await client.chat.completions.create({ model: request.model, messages: request.messages, ...request.params });
        return { output: r.choices[0]?.message.content ?? '', tokenUsage: usageOf(r.usage) };
      } catch (error) {
        return { error: errorText(error) };
      }
    },
  };
}

/** The `llm-rubric` grader: promptfoo hands it a JSON array of chat messages. */
export function graderProvider(client: OpenAI, model: string) {
  return {
    id: () => `switchyard:grader:${model}`,
    async callApi(prompt: string): Promise<ProviderResult> {
      let messages: ChatMessage[];
      try {
        const parsed: unknown = JSON.parse(prompt);
        messages = Array.isArray(parsed) ? (parsed as ChatMessage[]) : [{ role: 'user', content: prompt }];
      } catch {
        messages = [{ role: 'user', content: prompt }];
      }
      try {
        const r = await client.chat.completions.create({ model, messages, temperature: 0 });
        return { output: r.choices[0]?.message.content ?? '', tokenUsage: usageOf(r.usage) };
      } catch (error) {
        return { error: errorText(error) };
      }
    },
  };
}

/** The embedder for `similar` assertions. */
export function embeddingProvider(client: OpenAI, model: string) {
  return {
    id: () => `switchyard:embedding:${model}`,
    async callApi(): Promise<ProviderResult> {
      return { error: 'the embedding provider only embeds' };
    },
    async callEmbeddingApi(text: string): Promise<{ embedding?: number[]; error?: string }> {
      try {
        const r = await client.embeddings.create({ model, input: text });
        return { embedding: r.data[0]?.embedding ?? [] };
      } catch (error) {
        return { error: errorText(error) };
      }
    },
  };
}
