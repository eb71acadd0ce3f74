import { describe, expect, it } from 'vitest';
import { payloadShapeError } from '../src/tools.ts';
import type { PayloadProvider } from '../src/index.ts';
import { demoPayload } from './helpers/bundles.ts';

/** The payload with model `chat` served by `provider`, as plain JSON (what the shape check reads). */
function withProvider(provider: unknown) {
  const payload = demoPayload('production', (p) => {
    p.models.chat!.provider = provider as PayloadProvider;
  });
  return JSON.parse(JSON.stringify(payload)) as never;
}

describe('payload model providers', () => {
  it.each<PayloadProvider>([
    { type: 'openai' },
    { type: 'openai-compatible', baseUrl: 'http://vllm:8000/v1' },
    { type: 'anthropic', baseUrl: 'https://api.anthropic.com' },
    { type: 'ollama', baseUrl: 'http://127.0.0.1:11434' },
    { type: 'http', url: 'https://models.example.com/chat', method: 'POST' },
  ])('accepts %j', (provider) => {
    expect(payloadShapeError(withProvider(provider))).toBeUndefined();
  });

  it.each([
    [{ type: 'bedrock' }, '/models/chat/provider/type'],
    [{ type: 'anthropic' }, '/models/chat/provider/baseUrl must be a string'],
    [{ type: 'ollama', baseUrl: 7 }, '/models/chat/provider/baseUrl must be a string'],
    [{ type: 'http', method: 'POST' }, '/models/chat/provider/url must be a string'],
    [{ type: 'http', url: 'https://x', method: 'DELETE' }, '/models/chat/provider/method'],
  ])('rejects %j', (provider, message) => {
    expect(payloadShapeError(withProvider(provider))).toContain(message);
  });
});
