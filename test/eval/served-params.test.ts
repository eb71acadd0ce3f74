/**
 * Shadow compares what is served: every shadow request carries the generation parameters the runtime
 * would call with — the pin's `params`, overridden by the prompt version's — on the OpenAI wire (the
 * SDK) and through promptfoo's providers (Anthropic here). The offline server records the bodies.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { startModelServer, type ModelServer } from '../../src/eval/index.ts';
import { makeDemoRepo, type DemoRepo } from './demo-repo.ts';
import { testIo } from './io.ts';

let served: ModelServer;
let grading: ModelServer;
let repo: DemoRepo;

beforeAll(async () => {
  served = await startModelServer({ record: true });
  grading = await startModelServer();
  repo = await makeDemoRepo();
});
afterAll(async () => {
  await Promise.all([served.close(), grading.close(), repo.cleanup()]);
});

const byModel = (path: string) => {
  const out = new Map<string, Record<string, unknown>[]>();
  for (const r of served.recorded.filter((x) => x.path === path)) {
    const model = String(r.body.model);
    out.set(model, [...(out.get(model) ?? []), r.body]);
  }
  return out;
};

describe('shadow requests carry the served parameters', () => {
  it('a pin change: each side with its own pin params (OpenAI wire)', async () => {
    await repo.edit('models/chat.yaml', (t) =>
      t
        .replace(
          /provider:\n {2}type: openai\n/,
          `provider:\n  type: openai-compatible\n  baseUrl: ${served.baseUrl}\n  apiKeyEnv: VLLM_API_KEY\n`,
        )
        .replace('  temperature: 0.2\n', '  temperature: 0.2\n  top_p: 0.9\n'),
    );
    repo.commit('chat is served by our own server');
    await repo.edit('models/chat.yaml', (t) =>
      t
        .replace('snapshot: gpt-4o-2024-05-13', 'snapshot: gpt-4o-2024-11-20')
        .replace('temperature: 0.2', 'temperature: 0.7'),
    );
    repo.commit('move the chat pin and warm it up');

    const io = testIo(repo.dir, {
      SWITCHYARD_OFFLINE: '0',
      OPENAI_API_KEY: 'sk-grader',
      OPENAI_BASE_URL: grading.baseUrl,
      VLLM_API_KEY: 'sk-served',
    });
    served.resetStats();
    await main(['shadow', '--base', 'HEAD~1'], io);
    expect(io.text()).toContain('chat: pin gpt-4o-2024-05-13 → gpt-4o-2024-11-20');
    const sides = byModel('/v1/chat/completions');
    const base = sides.get('gpt-4o-2024-05-13') ?? [];
    const head = sides.get('gpt-4o-2024-11-20') ?? [];
    expect(base.length).toBeGreaterThan(0);
    expect(head).toHaveLength(base.length);
    for (const b of base) expect(b).toMatchObject({ temperature: 0.2, top_p: 0.9, max_tokens: 512 });
    for (const h of head) expect(h).toMatchObject({ temperature: 0.7, top_p: 0.9, max_tokens: 512 });
  });

  it('a prompt version change: version params over pin params (Anthropic via promptfoo)', async () => {
    // promptfoo's Anthropic provider drops temperature when top_p is set (Anthropic takes one of them).
    await repo.edit('models/chat.yaml', (t) =>
      t
        .replace(
          /provider:\n(?: {2}.*\n)+?(?=snapshot:)/,
          `provider:\n  type: anthropic\n  baseUrl: ${served.origin}\n  apiKeyEnv: CLAUDE_KEY\n`,
        )
        .replace('  top_p: 0.9\n', ''),
    );
    repo.commit('chat is served by Anthropic');
    await repo.edit('prompts/summarization/v1.yaml', (t) => t.replace('status: active', 'status: deprecated'));
    await repo.edit('prompts/summarization/v2.yaml', (t) =>
      t
        .replace('status: draft', 'status: active')
        .replace('  temperature: 0.1\n', '  temperature: 0.05\n  max_tokens: 300\n'),
    );
    repo.commit('summarization v2 becomes active');

    const io = testIo(repo.dir, {
      SWITCHYARD_OFFLINE: '0',
      OPENAI_API_KEY: 'sk-grader',
      OPENAI_BASE_URL: grading.baseUrl,
      CLAUDE_KEY: 'sk-ant-served',
    });
    served.resetStats();
    await main(['shadow', '--base', 'HEAD~1'], io);
    expect(io.text()).toContain('summarization: v1 → v2');
    const bodies = served.recorded.filter((r) => r.path === '/v1/messages').map((r) => r.body);
    const v1 = bodies.filter((b) => b.temperature === 0.1);
    const v2 = bodies.filter((b) => b.temperature === 0.05);
    expect(v1.length).toBeGreaterThan(0);
    expect(v2).toHaveLength(v1.length);
    expect(v1.length + v2.length).toBe(bodies.length);
    // v1 keeps the pin's max_tokens; v2 overrides it.
    for (const b of v1) expect(b).toMatchObject({ max_tokens: 512 });
    for (const b of v2) expect(b).toMatchObject({ max_tokens: 300 });
  });
});
