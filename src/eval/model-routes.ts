/**
 * Where each model's eval and shadow requests go: the provider its pin declares (models/<alias>.yaml),
 * mapped to promptfoo's own provider ids so promptfoo makes the calls, or — without the model's own
 * key, or under `SWITCHYARD_OFFLINE=1` — the offline model server (route-liveness.ts decides, per
 * model). A route's `label` says where its answers come from and, when offline, why; reports print
 * it per model. The mapping per type is in docs/evaluation.md ("Where models are called").
 */
import { DEFAULT_ANTHROPIC_BASE_URL, DEFAULT_OLLAMA_BASE_URL } from '../config/provider-checks.ts';
import type { HttpProviderConfig, ModelParams, ModelPin, SnapshotPrice } from '../config/types.ts';
import { OFFLINE_LABEL, openaiBaseUrl, type ModelEndpoint } from './endpoint.ts';
import { DEFAULT_ANTHROPIC_KEY_ENV, DEFAULT_API_KEY_ENV, OFFLINE_API_KEY, offlineReason } from './route-liveness.ts';

export { DEFAULT_ANTHROPIC_KEY_ENV, DEFAULT_API_KEY_ENV };

/** How one snapshot of one model is called. */
export interface ModelRoute {
  /** promptfoo provider id, e.g. `openai:chat:gpt-4o-2024-08-06` or `anthropic:messages:<snapshot>`. */
  providerId: string;
  /** promptfoo provider config (URL, key, body template…), before the case's parameters. */
  config: Record<string, unknown>;
  /**
   * Variables promptfoo's provider reads only from the process environment: its Ollama provider has
   * no base-URL option, just `OLLAMA_BASE_URL` (process-env-gate.ts sets it around the calls).
   */
  processEnv: Record<string, string>;
  /** The OpenAI wire's base URL and key when the provider speaks it (the shadow runner's SDK client). */
  openai: { baseUrl: string; apiKey: string } | undefined;
  /** What results depend on, for cache keys: `offline`, or the provider type and its URL. */
  endpointKey: string;
  /** Human-readable origin of the answers. */
  label: string;
  offline: boolean;
  /** Price of the snapshot when the model YAML declares one. */
  price: SnapshotPrice | undefined;
  /** Why the route cannot be called (the case is an error without a call); no route type sets it today. */
  unusable?: string;
  /** Maps the model's generation parameters to the provider's config keys. */
  params(params: ModelParams): Record<string, unknown>;
}

const trim = (url: string) => url.replace(/\/+$/, '');
const same = (params: ModelParams): Record<string, unknown> => ({ ...params });

/** Anthropic takes temperature, top_p and max_tokens; it has no seed or penalties. */
function anthropicParams(params: ModelParams): Record<string, unknown> {
  const { temperature, top_p, max_tokens } = params;
  return Object.fromEntries(Object.entries({ temperature, top_p, max_tokens }).filter(([, v]) => v !== undefined));
}

/** Ollama's options name the completion bound `num_predict`; the rest share OpenAI's names. */
function ollamaParams(params: ModelParams): Record<string, unknown> {
  const { max_tokens, ...rest } = params;
  return { ...rest, ...(max_tokens === undefined ? {} : { num_predict: max_tokens }) };
}

/** The http provider sends its body template; generation parameters have nowhere to go. */
const noParams = (): Record<string, unknown> => ({});

/** `{{snapshot}}` in the body template, substituted before promptfoo renders the rest. */
function withSnapshot(value: unknown, snapshot: string): unknown {
  if (typeof value === 'string') return value.replaceAll(/\{\{\s*snapshot\s*\}\}/g, snapshot);
  if (Array.isArray(value)) return value.map((v) => withSnapshot(v, snapshot));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withSnapshot(v, snapshot)]));
  return value;
}

/** The body an http provider sends when the pin gives none: an OpenAI-style chat request. */
export const DEFAULT_HTTP_BODY = { model: '{{snapshot}}', messages: '{{prompt}}' };

function httpConfig(provider: HttpProviderConfig, snapshot: string, env: NodeJS.ProcessEnv): Record<string, unknown> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  for (const [name, variable] of Object.entries(provider.headersFromEnv ?? {})) {
    const value = env[variable];
    if (value !== undefined) headers[name] = value;
  }
  return {
    url: provider.url,
    method: provider.method ?? 'POST',
    headers,
    body: withSnapshot(provider.body ?? DEFAULT_HTTP_BODY, snapshot),
    ...(provider.transformResponse ? { transformResponse: provider.transformResponse } : {}),
  };
}

/**
 * The route of `snapshot` on `pin`. An offline model (route-liveness.ts) is sent to the offline
 * server (as `openai:chat:<snapshot>`); a live one maps the pin's provider to promptfoo's:
 * `openai` → `openai:chat:<snapshot>` at OPENAI_BASE_URL (default api.openai.com) with its key;
 * `openai-compatible` → the same id at its `baseUrl`, with the key of its `apiKeyEnv`;
 * `anthropic` → `anthropic:messages:<snapshot>` with `apiBaseUrl` and the key of `apiKeyEnv`
 * (default ANTHROPIC_API_KEY); `ollama` → `ollama:chat:<snapshot>` with OLLAMA_BASE_URL;
 * `http` → promptfoo's `http` provider with the url, method, headers (values from the environment),
 * body template and `transformResponse`.
 */
export function routeFor(pin: ModelPin | undefined, snapshot: string, endpoint: ModelEndpoint): ModelRoute {
  const price = pin?.prices?.[snapshot];
  const common = { offline: false, price, processEnv: {} };
  const openaiRoute = (baseUrl: string, apiKey: string, endpointKey: string, label: string): ModelRoute => ({
    ...common,
    providerId: `openai:chat:${snapshot}`,
    config: { apiBaseUrl: baseUrl, apiKey },
    openai: { baseUrl, apiKey },
    endpointKey,
    label,
    params: same,
  });
  // A snapshot without a pin is answered where grading is.
  if (!pin) {
    const key = endpoint.offline ? 'offline' : `openai:${endpoint.baseUrl}`;
    return { ...openaiRoute(endpoint.baseUrl, endpoint.apiKey, key, endpoint.label), offline: endpoint.offline };
  }
  const why = endpoint.forceOffline ? 'SWITCHYARD_OFFLINE=1' : offlineReason(pin, endpoint.env);
  if (why !== undefined) {
    const label = `${OFFLINE_LABEL}: ${why}`;
    return { ...openaiRoute(endpoint.offlineBaseUrl, OFFLINE_API_KEY, 'offline', label), offline: true };
  }
  const provider = pin.provider;
  const keyOf = (name: string | undefined, fallback: string) => endpoint.env[name ?? fallback] ?? '';
  switch (provider.type) {
    case 'openai': {
      const baseUrl = openaiBaseUrl(endpoint.env);
      return openaiRoute(
        baseUrl,
        keyOf(provider.apiKeyEnv, DEFAULT_API_KEY_ENV),
        `openai:${baseUrl}`,
        `OpenAI-compatible API at ${baseUrl}`,
      );
    }
    case 'openai-compatible': {
      const baseUrl = trim(provider.baseUrl);
      return openaiRoute(
        baseUrl,
        keyOf(provider.apiKeyEnv, DEFAULT_API_KEY_ENV),
        `openai-compatible:${baseUrl}`,
        `OpenAI-compatible API at ${baseUrl}`,
      );
    }
    case 'anthropic': {
      const baseUrl = trim(provider.baseUrl ?? DEFAULT_ANTHROPIC_BASE_URL);
      const apiKey = keyOf(provider.apiKeyEnv, DEFAULT_ANTHROPIC_KEY_ENV);
      return {
        ...common,
        providerId: `anthropic:messages:${snapshot}`,
        config: { apiBaseUrl: baseUrl, apiKey },
        openai: undefined,
        endpointKey: `anthropic:${baseUrl}`,
        label: `Anthropic Messages API at ${baseUrl}`,
        params: anthropicParams,
      };
    }
    case 'ollama': {
      const baseUrl = trim(provider.baseUrl ?? DEFAULT_OLLAMA_BASE_URL);
      return {
        ...common,
        providerId: `ollama:chat:${snapshot}`,
        config: {},
        processEnv: { OLLAMA_BASE_URL: baseUrl },
        openai: undefined,
        endpointKey: `ollama:${baseUrl}`,
        label: `Ollama at ${baseUrl}`,
        params: ollamaParams,
      };
    }
    case 'http': {
      // The cache key names what shapes the answer (URL, method, body, transform), never header values.
      const { url, method, body, transformResponse } = provider;
      return {
        ...common,
        providerId: 'http',
        config: httpConfig(provider, snapshot, endpoint.env),
        openai: undefined,
        endpointKey: `http:${JSON.stringify([url, method ?? 'POST', body ?? DEFAULT_HTTP_BODY, transformResponse ?? null])}`,
        label: `HTTP endpoint ${url}`,
        params: noParams,
      };
    }
  }
}

/**
 * promptfoo provider config for one request on `route`: the route's config with the request's
 * generation parameters in the provider's own names. Eval and shadow both call providers with it.
 */
export function providerConfig(route: ModelRoute, params: ModelParams): Record<string, unknown> {
  return { ...route.config, ...route.params(params) };
}

/** One line naming where a provider serves its model (semantic diffs, reports). */
export function describeProvider(provider: ModelPin['provider']): string {
  switch (provider.type) {
    case 'openai':
      return 'OpenAI';
    case 'openai-compatible':
      return provider.baseUrl;
    case 'anthropic':
      return `Anthropic at ${provider.baseUrl ?? DEFAULT_ANTHROPIC_BASE_URL}`;
    case 'ollama':
      return `Ollama at ${provider.baseUrl ?? DEFAULT_OLLAMA_BASE_URL}`;
    case 'http':
      return `HTTP endpoint ${provider.url}`;
  }
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
