import type { CheckContext } from './check-context.ts';
import type { ProviderConfig } from './types.ts';

/** Anthropic's API root when a pin names no `baseUrl` (the SDK appends `/v1/messages`). */
export const DEFAULT_ANTHROPIC_BASE_URL = 'https://api.anthropic.com';
/** Ollama's local default when a pin names no `baseUrl`. */
export const DEFAULT_OLLAMA_BASE_URL = 'http://127.0.0.1:11434';

/** The `provider:` keys each type reads (docs/resources.md#model-pin); `type` is always allowed. */
const FIELDS: Record<ProviderConfig['type'], readonly string[]> = {
  openai: ['apiKeyEnv'],
  'openai-compatible': ['baseUrl', 'apiKeyEnv'],
  anthropic: ['baseUrl', 'apiKeyEnv'],
  ollama: ['baseUrl'],
  http: ['url', 'method', 'headersFromEnv', 'body', 'transformResponse'],
};

/**
 * A provider key the declared type never reads (`url` on an `openai` pin, `apiKeyEnv` on `http`)
 * is an error (`E_PROVIDER_FIELD`): the author expects it to take effect and it would not. The
 * schema allows every key for every type; which apply is decided here, where the message can say why.
 */
export function checkProviders(ctx: CheckContext): void {
  for (const resource of ctx.valid('model')) {
    const provider = resource.data['provider'] as Record<string, unknown> | undefined;
    if (!provider) continue;
    const type = provider['type'] as ProviderConfig['type'];
    const allowed = FIELDS[type];
    for (const key of Object.keys(provider)) {
      if (key === 'type' || allowed.includes(key)) continue;
      const users = Object.entries(FIELDS)
        .filter(([, fields]) => fields.includes(key))
        .map(([t]) => t);
      ctx.report(
        resource.file.diagnostic(
          'E_PROVIDER_FIELD',
          `/provider/${key}`,
          `provider.${key} does not apply to type ${type} (only to ${users.join(', ')}).`,
        ),
      );
    }
  }
}
