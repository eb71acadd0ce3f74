import { describe, expect, it } from 'vitest';
import type { ModelPin, ProviderConfig } from '../../src/config/types.ts';
import type { ModelEndpoint } from '../../src/eval/endpoint.ts';
import { describeProvider, routeFor } from '../../src/eval/model-routes.ts';

const SNAPSHOT = 'm-2025-01-01';

/** A grading endpoint: live (with OPENAI_API_KEY) or offline; `force` is SWITCHYARD_OFFLINE=1. */
function endpoint(offline: boolean, env: NodeJS.ProcessEnv = {}, force = offline): ModelEndpoint {
  return {
    baseUrl: offline ? 'http://127.0.0.1:9999/v1' : 'https://api.openai.com/v1',
    apiKey: offline ? 'switchyard-offline' : 'sk-openai',
    offline,
    label: offline ? 'offline' : 'OpenAI-compatible API at https://api.openai.com/v1',
    server: undefined,
    offlineBaseUrl: 'http://127.0.0.1:9999/v1',
    forceOffline: force,
    contained: offline,
    env: offline ? env : { OPENAI_API_KEY: 'sk-openai', ...env },
    close: async () => {},
  };
}

function pin(provider: ProviderConfig): ModelPin {
  return {
    alias: 'chat',
    provider,
    snapshot: SNAPSHOT,
    conversations: 'pinned',
    retired: [],
    prices: { [SNAPSHOT]: { input: 1, output: 2 } },
  };
}

const PARAMS = { temperature: 0.2, top_p: 0.9, max_tokens: 100, seed: 7, presence_penalty: 0.1 };

describe('routeFor', () => {
  it('sends every type to the offline server as openai:chat under SWITCHYARD_OFFLINE=1', () => {
    for (const provider of [
      { type: 'anthropic' },
      { type: 'ollama' },
      { type: 'http', url: 'https://x.example/chat' },
    ] as ProviderConfig[]) {
      const r = routeFor(pin(provider), SNAPSHOT, endpoint(true));
      expect(r).toMatchObject({
        providerId: `openai:chat:${SNAPSHOT}`,
        config: { apiBaseUrl: 'http://127.0.0.1:9999/v1', apiKey: 'switchyard-offline' },
        endpointKey: 'offline',
        offline: true,
        processEnv: {},
      });
      expect(r.price).toEqual({ input: 1, output: 2 });
    }
  });

  it('maps anthropic to anthropic:messages with apiBaseUrl and the key of apiKeyEnv', () => {
    const env = { ANTHROPIC_API_KEY: 'sk-ant-default', CLAUDE_KEY: 'sk-ant-own' };
    const byDefault = routeFor(pin({ type: 'anthropic' }), SNAPSHOT, endpoint(false, env));
    expect(byDefault).toMatchObject({
      providerId: `anthropic:messages:${SNAPSHOT}`,
      config: { apiBaseUrl: 'https://api.anthropic.com', apiKey: 'sk-ant-default' },
      openai: undefined,
      endpointKey: 'anthropic:https://api.anthropic.com',
      label: 'Anthropic Messages API at https://api.anthropic.com',
    });
    const own = routeFor(
      pin({ type: 'anthropic', baseUrl: 'http://proxy:8080/', apiKeyEnv: 'CLAUDE_KEY' }),
      SNAPSHOT,
      endpoint(false, env),
    );
    expect(own.config).toEqual({ apiBaseUrl: 'http://proxy:8080', apiKey: 'sk-ant-own' });
    expect(byDefault.unusable).toBeUndefined();
    // Without its own key the model is answered offline, and its label says why.
    const keyless = routeFor(pin({ type: 'anthropic', apiKeyEnv: 'NOT_SET' }), SNAPSHOT, endpoint(false, env));
    expect(keyless).toMatchObject({ offline: true, endpointKey: 'offline', providerId: `openai:chat:${SNAPSHOT}` });
    expect(keyless.label).toMatch(/offline model server.*: NOT_SET is not set$/);
    // Anthropic has no seed or penalties.
    expect(own.params(PARAMS)).toEqual({ temperature: 0.2, top_p: 0.9, max_tokens: 100 });
  });

  it('maps ollama to ollama:chat with OLLAMA_BASE_URL and num_predict', () => {
    const r = routeFor(pin({ type: 'ollama' }), SNAPSHOT, endpoint(false));
    expect(r).toMatchObject({
      providerId: `ollama:chat:${SNAPSHOT}`,
      processEnv: { OLLAMA_BASE_URL: 'http://127.0.0.1:11434' },
      endpointKey: 'ollama:http://127.0.0.1:11434',
    });
    expect(r.params(PARAMS)).toEqual({
      temperature: 0.2,
      top_p: 0.9,
      num_predict: 100,
      seed: 7,
      presence_penalty: 0.1,
    });
    const other = routeFor(pin({ type: 'ollama', baseUrl: 'http://gpu:11434' }), SNAPSHOT, endpoint(false));
    expect(other.processEnv).toEqual({ OLLAMA_BASE_URL: 'http://gpu:11434' });
  });

  it("maps http to promptfoo's http provider: headers from the environment, {{snapshot}} filled in", () => {
    const provider: ProviderConfig = {
      type: 'http',
      url: 'https://models.example.com/chat',
      headersFromEnv: { Authorization: 'MODELS_AUTH', 'X-Team': 'MODELS_TEAM' },
      body: { model: '{{ snapshot }}', input: { messages: '{{prompt}}', tags: ['{{snapshot}}', 3] } },
      transformResponse: 'json.answer',
    };
    // A header variable not set: the model is answered offline, naming it.
    const partial = routeFor(pin(provider), SNAPSHOT, endpoint(false, { MODELS_AUTH: 'Bearer secret' }));
    expect(partial.offline).toBe(true);
    expect(partial.label).toMatch(/: MODELS_TEAM is not set$/);
    const r = routeFor(pin(provider), SNAPSHOT, endpoint(false, { MODELS_AUTH: 'Bearer secret', MODELS_TEAM: 't1' }));
    expect(r.providerId).toBe('http');
    expect(r.config).toEqual({
      url: 'https://models.example.com/chat',
      method: 'POST',
      headers: { 'content-type': 'application/json', Authorization: 'Bearer secret', 'X-Team': 't1' },
      body: { model: SNAPSHOT, input: { messages: '{{prompt}}', tags: [SNAPSHOT, 3] } },
      transformResponse: 'json.answer',
    });
    // The cache key names what shapes the answer, never a header value.
    expect(r.endpointKey).toContain('https://models.example.com/chat');
    expect(r.endpointKey).not.toContain('secret');
    expect(r.params(PARAMS)).toEqual({});
    const plain = routeFor(pin({ type: 'http', url: 'https://a.example/' }), SNAPSHOT, endpoint(false));
    expect(plain.config.body).toEqual({ model: SNAPSHOT, messages: '{{prompt}}' });
    expect(plain.endpointKey).not.toBe(r.endpointKey);
  });

  it('keeps the OpenAI-wire types on the SDK-compatible route', () => {
    const r = routeFor(
      pin({ type: 'openai-compatible', baseUrl: 'http://vllm:8000/v1/', apiKeyEnv: 'VLLM_KEY' }),
      SNAPSHOT,
      endpoint(false, { VLLM_KEY: 'sk-vllm' }),
    );
    expect(r.openai).toEqual({ baseUrl: 'http://vllm:8000/v1', apiKey: 'sk-vllm' });
    expect(r.config).toEqual({ apiBaseUrl: 'http://vllm:8000/v1', apiKey: 'sk-vllm' });
    expect(r.params(PARAMS)).toEqual(PARAMS);
  });
});

describe('live or offline, per model', () => {
  // Grading is offline here (no OPENAI_API_KEY) but nothing forces the models offline.
  const noOpenAi = (env: NodeJS.ProcessEnv = {}) => endpoint(true, env, false);

  it('calls a model whose own key is set, whatever the grading endpoint', () => {
    const claude = routeFor(pin({ type: 'anthropic' }), SNAPSHOT, noOpenAi({ ANTHROPIC_API_KEY: 'sk-ant' }));
    expect(claude).toMatchObject({ offline: false, providerId: `anthropic:messages:${SNAPSHOT}` });
    const own = routeFor(
      pin({ type: 'openai', apiKeyEnv: 'TEAM_OPENAI_KEY' }),
      SNAPSHOT,
      noOpenAi({ TEAM_OPENAI_KEY: 'sk-team', OPENAI_BASE_URL: 'https://gw.example/v1/' }),
    );
    expect(own).toMatchObject({ offline: false, openai: { baseUrl: 'https://gw.example/v1', apiKey: 'sk-team' } });
  });

  it('calls a model whose type needs no key (Ollama, http without headers)', () => {
    expect(routeFor(pin({ type: 'ollama' }), SNAPSHOT, noOpenAi()).offline).toBe(false);
    expect(routeFor(pin({ type: 'http', url: 'http://127.0.0.1:8080/chat' }), SNAPSHOT, noOpenAi()).offline).toBe(
      false,
    );
  });

  it('answers a model without its key offline, naming the variable; the offline key is no key', () => {
    const r = routeFor(pin({ type: 'openai' }), SNAPSHOT, noOpenAi({ OPENAI_API_KEY: 'switchyard-offline' }));
    expect(r).toMatchObject({ offline: true, config: { apiBaseUrl: 'http://127.0.0.1:9999/v1' } });
    expect(r.label).toMatch(/: OPENAI_API_KEY is not set$/);
  });

  it('SWITCHYARD_OFFLINE=1 answers every model offline, keys or not', () => {
    for (const provider of [{ type: 'anthropic' }, { type: 'ollama' }] as ProviderConfig[]) {
      const r = routeFor(pin(provider), SNAPSHOT, endpoint(false, { ANTHROPIC_API_KEY: 'sk-ant' }, true));
      expect(r.offline).toBe(true);
      expect(r.label).toMatch(/: SWITCHYARD_OFFLINE=1$/);
    }
  });
});

describe('describeProvider', () => {
  it('names where each type serves its model', () => {
    expect(describeProvider({ type: 'openai' })).toBe('OpenAI');
    expect(describeProvider({ type: 'anthropic' })).toBe('Anthropic at https://api.anthropic.com');
    expect(describeProvider({ type: 'ollama', baseUrl: 'http://gpu:11434' })).toBe('Ollama at http://gpu:11434');
    expect(describeProvider({ type: 'http', url: 'https://x.example/chat' })).toBe(
      'HTTP endpoint https://x.example/chat',
    );
  });
});
