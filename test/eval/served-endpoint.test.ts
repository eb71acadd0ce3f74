/**
 * Evaluate where it is served: a model declared `openai-compatible` with a `baseUrl` is evaluated
 * and shadowed on that server (a second local server here), with a key in the environment, and no
 * chat request goes anywhere else. The grading endpoint (OPENAI_BASE_URL, a third server) only
 * grades and embeds.
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
  served = await startModelServer();
  grading = await startModelServer();
  repo = await makeDemoRepo();
});
afterAll(async () => {
  await Promise.all([served.close(), grading.close(), repo.cleanup()]);
});

describe('eval and shadow go to the provider the model declares', () => {
  it('sends every eval and shadow chat request of an openai-compatible model to its baseUrl', async () => {
    await repo.edit('models/chat.yaml', (t) =>
      t.replace(
        /provider:\n {2}type: openai\n/,
        `provider:\n  type: openai-compatible\n  baseUrl: ${served.baseUrl}\n  apiKeyEnv: VLLM_API_KEY\n`,
      ),
    );
    repo.commit('chat is served by our own OpenAI-compatible server');
    await repo.edit('models/chat.yaml', (t) => t.replace('snapshot: gpt-4o-2024-05-13', 'snapshot: gpt-4o-2024-11-20'));
    repo.commit('move the chat pin to gpt-4o-2024-11-20');

    const env = {
      SWITCHYARD_OFFLINE: '0',
      OPENAI_API_KEY: 'sk-grader',
      OPENAI_BASE_URL: grading.baseUrl,
      VLLM_API_KEY: 'sk-served',
    };
    served.resetStats();
    grading.resetStats();
    const io = testIo(repo.dir, env);
    await main(['eval', '--base', 'HEAD~1'], io);
    const evalOut = io.text();
    // 9 cases of the chat prompts on the new snapshot, 5 of what the base serves (for the deltas).
    expect(evalOut).toMatch(/eval: 14 cases: \d+ passed/);
    // Every one of them went to the declared server, on the snapshot it was meant for.
    expect(served.stats.byModel).toEqual({ 'gpt-4o-2024-11-20': 9, 'gpt-4o-2024-05-13': 5 });
    expect(served.stats.chat).toBe(14);
    expect(evalOut).toContain(`eval: model chat answered by OpenAI-compatible API at ${served.baseUrl}`);
    // The grading endpoint embedded (for `similar`) but answered no prompt under test.
    expect(grading.stats.chat).toBe(0);
    expect(grading.stats.embeddings).toBeGreaterThan(0);

    served.resetStats();
    grading.resetStats();
    const shadowIo = testIo(repo.dir, env);
    await main(['shadow', '--base', 'HEAD~1'], shadowIo);
    expect(shadowIo.text()).toContain('chat: pin gpt-4o-2024-05-13 → gpt-4o-2024-11-20');
    const rows = served.stats.chat / 2;
    expect(rows).toBeGreaterThan(0);
    expect(served.stats.byModel).toEqual({ 'gpt-4o-2024-05-13': rows, 'gpt-4o-2024-11-20': rows });
    expect(grading.stats.chat).toBe(0);
    expect(grading.stats.embeddings).toBe(rows);
  });

  it('without OPENAI_API_KEY, a model with its own key is still called; grading is offline, and it says so', async () => {
    served.resetStats();
    grading.resetStats();
    const io = testIo(repo.dir, {
      SWITCHYARD_OFFLINE: '0',
      OPENAI_BASE_URL: grading.baseUrl,
      VLLM_API_KEY: 'sk-served',
    });
    await main(['eval', '--base', 'HEAD~1', '--no-cache'], io);
    expect(io.text()).toContain('eval: grading (llm-rubric, similar) by Switchyard offline model server');
    expect(io.text()).toContain(`eval: model chat answered by OpenAI-compatible API at ${served.baseUrl}`);
    expect(served.stats.chat).toBe(14);
    expect(grading.stats.requests).toBe(0);
  });

  it("without the model's own key, or with SWITCHYARD_OFFLINE=1, sends it to the offline server and names why", async () => {
    for (const [env, why] of [
      [{ SWITCHYARD_OFFLINE: '0' }, 'VLLM_API_KEY is not set'],
      [{ SWITCHYARD_OFFLINE: '1', OPENAI_API_KEY: 'sk-grader', VLLM_API_KEY: 'sk-served' }, 'SWITCHYARD_OFFLINE=1'],
    ] as const) {
      served.resetStats();
      grading.resetStats();
      const io = testIo(repo.dir, { OPENAI_BASE_URL: grading.baseUrl, ...env });
      await main(['eval', '--base', 'HEAD~1', '--no-cache'], io);
      expect(io.text()).toMatch(new RegExp(`eval: model chat answered by Switchyard offline model server.*: ${why}`));
      expect(served.stats.requests).toBe(0);
      expect(grading.stats.requests).toBe(0);
    }
  });
});
