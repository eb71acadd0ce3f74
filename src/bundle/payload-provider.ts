/**
 * A model pin's provider as the bundle carries it: where the model is served, defaults filled in,
 * nothing secret (key and header variables stay in the repository; docs/runtime.md).
 */
import { DEFAULT_ANTHROPIC_BASE_URL, DEFAULT_OLLAMA_BASE_URL } from '../config/provider-checks.ts';
import type { ProviderConfig } from '../config/types.ts';
import type { PayloadProvider } from './runtime-format.ts';

/** The payload form of `provider` (docs/resources.md#model-pin). */
export function payloadProvider(provider: ProviderConfig): PayloadProvider {
  switch (provider.type) {
    case 'openai':
      return { type: 'openai' };
    case 'openai-compatible':
      return { type: 'openai-compatible', baseUrl: provider.baseUrl };
    case 'anthropic':
      return { type: 'anthropic', baseUrl: provider.baseUrl ?? DEFAULT_ANTHROPIC_BASE_URL };
    case 'ollama':
      return { type: 'ollama', baseUrl: provider.baseUrl ?? DEFAULT_OLLAMA_BASE_URL };
    case 'http':
      return { type: 'http', url: provider.url, method: provider.method ?? 'POST' };
  }
}
