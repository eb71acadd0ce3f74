/**
 * Live or offline, decided per model (docs/evaluation.md, "Where answers come from"): a model is
 * called where it is served when its own declared key variable is set (`apiKeyEnv`, or the type's
 * default: OPENAI_API_KEY for the OpenAI wire, ANTHROPIC_API_KEY for Anthropic), or when its type
 * needs no key (Ollama; http whose `headersFromEnv` are all set, or that has none). Otherwise — and
 * for every model under `SWITCHYARD_OFFLINE=1` — it is answered by the offline model server, and the
 * reason is part of the label every report prints for that model, so a run is never silently half real.
 */
import type { ModelPin } from '../config/types.ts';

/** The key offline runs put in the environment (promptfoo wants one); never treated as a real key. */
export const OFFLINE_API_KEY = 'switchyard-offline';
/** Default key variable of every OpenAI-wire provider. */
export const DEFAULT_API_KEY_ENV = 'OPENAI_API_KEY';
/** Default key variable of the anthropic provider (the one promptfoo reads too). */
export const DEFAULT_ANTHROPIC_KEY_ENV = 'ANTHROPIC_API_KEY';

/** A real key: set, not empty, not the offline placeholder. */
export function isRealKey(value: string | undefined): value is string {
  return value !== undefined && value !== '' && value !== OFFLINE_API_KEY;
}

/** The environment variable holding a pin's key, or undefined when its type takes none. */
export function keyEnvOf(provider: ModelPin['provider']): string | undefined {
  switch (provider.type) {
    case 'openai':
    case 'openai-compatible':
      return provider.apiKeyEnv ?? DEFAULT_API_KEY_ENV;
    case 'anthropic':
      return provider.apiKeyEnv ?? DEFAULT_ANTHROPIC_KEY_ENV;
    case 'ollama':
    case 'http':
      return undefined;
  }
}

/**
 * Every environment variable a pin reads to be called live: its key, or its http header values.
 * The CI workflows must pass these (docs/evaluation.md, "Keys in CI").
 */
export function secretEnvOf(provider: ModelPin['provider']): string[] {
  if (provider.type === 'http') return [...new Set(Object.values(provider.headersFromEnv ?? {}))].sort();
  const key = keyEnvOf(provider);
  return key === undefined ? [] : [key];
}

/** Why `pin` is answered offline under `env`, or undefined when it is called where it is served. */
export function offlineReason(pin: Pick<ModelPin, 'provider'>, env: NodeJS.ProcessEnv): string | undefined {
  if (env.SWITCHYARD_OFFLINE === '1') return 'SWITCHYARD_OFFLINE=1';
  const unset = secretEnvOf(pin.provider).filter((name) => !isRealKey(env[name]));
  return unset.length === 0 ? undefined : `${unset.join(', ')} ${unset.length === 1 ? 'is' : 'are'} not set`;
}
