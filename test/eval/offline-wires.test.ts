/**
 * The offline model server's other chat wires, called by the real promptfoo providers a model pin
 * maps to: `anthropic:messages:*` (POST /v1/messages) and `ollama:chat:*` (POST /api/chat). Each
 * answers with the same deterministic offline model as the OpenAI wire, and the server counts
 * requests per path.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openModelEndpoint, startModelServer, type ModelServer } from '../../src/eval/index.ts';
import { ProcessEnvGate } from '../../src/eval/process-env-gate.ts';
import { loadPromptfoo, type PromptfooModule } from '../../src/eval/promptfoo-env.ts';

const MESSAGES = [
  { role: 'system', content: 'You summarise customer support tickets in two sentences for a busy agent.' },
  {
    role: 'user',
    content:
      'Summarise this ticket:\n\nI was charged twice for my annual plan on March 3rd and I would like a refund for the duplicate charge.',
  },
];
const SNAPSHOT = 'claude-sonnet-4-5-20250929';

let server: ModelServer;
let promptfoo: PromptfooModule;
let root: string;
let expected: string;

beforeAll(async () => {
  server = await startModelServer();
  root = await mkdtemp(join(tmpdir(), 'switchyard-wires-'));
  promptfoo = await loadPromptfoo(root, await openModelEndpoint({}, { server }));
  promptfoo.cache.disableCache();
  const openai = new OpenAI({ apiKey: 'k', baseURL: server.baseUrl, maxRetries: 0 });
  const r = await openai.chat.completions.create({ model: SNAPSHOT, messages: MESSAGES as never });
  expected = r.choices[0]?.message.content ?? '';
});
afterAll(async () => {
  await server.close();
  await rm(root, { recursive: true, force: true });
});

describe('offline server: Anthropic Messages wire', () => {
  it("answers promptfoo's anthropic provider like the OpenAI wire, counted on POST /v1/messages", async () => {
    server.resetStats();
    const provider = await promptfoo.loadApiProvider(`anthropic:messages:${SNAPSHOT}`, {
      options: { config: { apiBaseUrl: server.origin, apiKey: 'sk-ant-test' } },
    });
    const r = await provider.callApi(JSON.stringify(MESSAGES));
    expect(r.error).toBeUndefined();
    expect(r.output).toBe(expected);
    expect(r.tokenUsage?.completion).toBeGreaterThan(0);
    expect(server.stats.byPath).toEqual({ 'POST /v1/messages': 1 });
    expect(server.stats.byModel).toEqual({ [SNAPSHOT]: 1 });
  });

  it('answers a malformed request with an Anthropic-shaped 400', async () => {
    const res = await fetch(`${server.origin}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: SNAPSHOT, messages: MESSAGES.slice(1) }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      type: 'error',
      error: { type: 'invalid_request_error', message: 'max_tokens: Field required' },
    });
  });
});

describe('offline server: Ollama wire', () => {
  it("answers promptfoo's ollama chat provider (streamed NDJSON), counted on POST /api/chat", async () => {
    server.resetStats();
    const provider = await promptfoo.loadApiProvider(`ollama:chat:${SNAPSHOT}`, { options: { config: {} } });
    const gate = new ProcessEnvGate();
    const r = await gate.run({ OLLAMA_BASE_URL: server.origin }, () => provider.callApi(JSON.stringify(MESSAGES)));
    expect(r.error).toBeUndefined();
    expect(r.output).toBe(expected);
    expect(r.tokenUsage?.completion).toBeGreaterThan(0);
    expect(server.stats.byPath).toEqual({ 'POST /api/chat': 1 });
  });

  it('answers /api/generate in one object with stream: false, and errors as { error }', async () => {
    const res = await fetch(`${server.origin}/api/generate`, {
      method: 'POST',
      body: JSON.stringify({
        model: SNAPSHOT,
        system: MESSAGES[0]?.content,
        prompt: MESSAGES[1]?.content,
        stream: false,
      }),
    });
    const lines = (await res.text()).trim().split('\n');
    expect(lines).toHaveLength(1);
    const body = JSON.parse(lines[0] ?? '{}') as { response: string; done: boolean; eval_count: number };
    expect(body).toMatchObject({ response: expected, done: true });
    const bad = await fetch(`${server.origin}/api/chat`, { method: 'POST', body: JSON.stringify({ messages: [] }) });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: "Missing required parameter: 'model'." });
  });
});
