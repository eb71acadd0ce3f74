/**
 * Where each model's eval and shadow requests go: the provider its pin declares (models/<alias>.yaml),
 * mapped to promptfoo's own provider ids so promptfoo makes the calls, or — without a key — the
 * offline model server. One switch decides live vs offline for the whole run (the endpoint: a key in
 * CI and `SWITCHYARD_OFFLINE` not `1`), so a report is never half real and half simulated.
 */
import type { ModelPin, SnapshotPrice } from '../config/types.ts';
import type { ModelEndpoint } from './endpoint.ts';

/** How one snapshot of one model is called. */
export interface ModelRoute {
  /** promptfoo provider id, e.g. `openai:chat:gpt-4o-2024-08-06`. */
  providerId: string;
  /** Base URL of the OpenAI wire protocol the provider speaks (for the shadow runner's SDK client). */
  baseUrl: string;
  apiKey: string;
  /** What results depend on, for cache keys: `offline`, or the provider type and its URL. */
  endpointKey: string;
  /** Human-readable origin of the answers. */
  label: string;
  offline: boolean;
  /** Price of the snapshot when the model YAML declares one. */
  price: SnapshotPrice | undefined;
}

/** Default key variable of every OpenAI-wire provider. */
export const DEFAULT_API_KEY_ENV = 'OPENAI_API_KEY';

/**
 * The route of `snapshot` on `pin`. Offline runs send everything to the offline server; live runs
 * send an `openai` model to the endpoint's URL (OpenAI or OPENAI_BASE_URL) and an
 * `openai-compatible` model to its declared `baseUrl`, with the key of its `apiKeyEnv`.
 */
export function routeFor(pin: ModelPin | undefined, snapshot: string, endpoint: ModelEndpoint): ModelRoute {
  const price = pin?.prices?.[snapshot];
  const providerId = `openai:chat:${snapshot}`;
  if (endpoint.offline || !pin) {
    return {
      providerId,
      baseUrl: endpoint.baseUrl,
      apiKey: endpoint.apiKey,
      endpointKey: 'offline',
      label: endpoint.label,
      offline: endpoint.offline,
      price,
    };
  }
  const keyEnv = pin.provider.apiKeyEnv ?? DEFAULT_API_KEY_ENV;
  const apiKey = (keyEnv === DEFAULT_API_KEY_ENV ? endpoint.apiKey : endpoint.env[keyEnv]) ?? '';
  if (pin.provider.type === 'openai-compatible') {
    const baseUrl = pin.provider.baseUrl.replace(/\/+$/, '');
    return {
      providerId,
      baseUrl,
      apiKey,
      endpointKey: `openai-compatible:${baseUrl}`,
      label: `OpenAI-compatible API at ${baseUrl}`,
      offline: false,
      price,
    };
  }
  return {
    providerId,
    baseUrl: endpoint.baseUrl,
    apiKey,
    endpointKey: `openai:${endpoint.baseUrl}`,
    label: endpoint.label,
    offline: false,
    price,
  };
}

/** Cost in USD of one call at `price` (USD per 1M tokens); undefined without a price. */
export function costOf(
  price: SnapshotPrice | undefined,
  promptTokens: number,
  completionTokens: number,
): number | undefined {
  if (!price) return undefined;
  return (price.input * promptTokens + price.output * completionTokens) / 1_000_000;
}
