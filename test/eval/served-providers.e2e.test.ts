/**
 * Evaluate where it is served, for the provider types beyond the OpenAI wire: a model pin of type
 * `anthropic`, `ollama` or `http` points at a second local offline server, and with a key in the
 * environment every eval and shadow chat request of that model lands there, on the wire promptfoo's
 * provider for that type speaks (counted per path by the server) — none on the grading endpoint,
 * which only grades and embeds. Live or offline is decided per model: a model without its own key is
 * answered offline and the output names the missing variable; an Anthropic-only project (no
 * OPENAI_API_KEY) still calls Anthropic. See docs/evaluation.md ("Where answers come from").
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { startModelServer, type ModelServer } from '../../src/eval/index.ts';
import { makeDemoRepo, type DemoRepo } from './demo-repo.ts';
import { testIo } from './io.ts';

let grading: ModelServer;
const cleanup: Array<() => Promise<void>> = [];

beforeAll(async () => {
  grading = await startModelServer();
});
afterAll(async () => {
  await Promise.all([grading.close(), ...cleanup.map((c) => c())]);
});

interface Scenario {
  type: string;
  /** The `provider:` block (indented two spaces) for a pin served by `served`. */
  provider(served: ModelServer): string;
  /** The only path the served server may see. */
  path: string;
  label(served: ModelServer): string;
  env: Record<string, string>;
}

const SCENARIOS: Scenario[] = [
  {
    type: 'anthropic',
    provider: (s) => `  type: anthropic\n  baseUrl: ${s.origin}\n  apiKeyEnv: CLAUDE_API_KEY\n`,
    path: 'POST /v1/messages',
    label: (s) => `Anthropic Messages API at ${s.origin}`,
    env: { CLAUDE_API_KEY: 'sk-ant-served' },
  },
  {
    type: 'ollama',
    provider: (s) => `  type: ollama\n  baseUrl: ${s.origin}\n`,
    path: 'POST /api/chat',
    label: (s) => `Ollama at ${s.origin}`,
    env: {},
  },
  {
    type: 'http',
    provider: (s) =>
      `  type: http\n  url: ${s.baseUrl}/chat/completions\n  headersFromEnv:\n    Authorization: SERVED_AUTH\n` +
      `  transformResponse: json.choices[0].message.content\n`,
    path: 'POST /v1/chat/completions',
    label: (s) => `HTTP endpoint ${s.baseUrl}/chat/completions`,
    env: { SERVED_AUTH: 'Bearer served' },
  },
];

/** A demo repository whose chat model moves to `served` (commit 1), then to a new snapshot (commit 2). */
async function servedRepo(scenario: Scenario, served: ModelServer): Promise<DemoRepo> {
  const repo = await makeDemoRepo();
  cleanup.push(() => repo.cleanup());
  await repo.edit('models/chat.yaml', (t) =>
    t.replace(/provider:\n {2}type: openai\n/, `provider:\n${scenario.provider(served)}`),
  );
  repo.commit(`chat is served by ${scenario.type}`);
  await repo.edit('models/chat.yaml', (t) => t.replace('snapshot: gpt-4o-2024-05-13', 'snapshot: gpt-4o-2024-11-20'));
  repo.commit('move the chat pin to gpt-4o-2024-11-20');
  return repo;
}

describe.each(SCENARIOS)('a model of type $type', (scenario) => {
  it('is evaluated and shadowed on its declared server only, over its own wire', async () => {
    const served = await startModelServer();
    cleanup.push(() => served.close());
    const repo = await servedRepo(scenario, served);
    const env = {
      SWITCHYARD_OFFLINE: '0',
      OPENAI_API_KEY: 'sk-grader',
      OPENAI_BASE_URL: grading.baseUrl,
      ...scenario.env,
    };
    grading.resetStats();
    const io = testIo(repo.dir, env);
    await main(['eval', '--base', 'HEAD~1'], io);
    const evalOut = io.text();
    // 9 cases of the chat prompts on the new snapshot, 5 of what the base serves (for the deltas).
    expect(evalOut).toMatch(/eval: 14 cases: \d+ passed/);
    expect(evalOut).toContain(`eval: model chat answered by ${scenario.label(served)}`);
    expect(served.stats.byModel).toEqual({ 'gpt-4o-2024-11-20': 9, 'gpt-4o-2024-05-13': 5 });
    expect(served.stats.byPath).toEqual({ [scenario.path]: 14 });
    expect(served.stats.errors).toBe(0);
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
    expect(served.stats.byPath).toEqual({ [scenario.path]: rows * 2 });
    expect(grading.stats.chat).toBe(0);
    expect(grading.stats.embeddings).toBe(rows);
  });
});

describe('moving a model between two Ollama servers', () => {
  // promptfoo reads Ollama's base URL from the process environment only: eval runs one evaluate()
  // per server and the shadow runner takes turns, so each side still lands on its own server.
  it('evaluates and shadows the base on the old server and the head on the new one', async () => {
    const before = await startModelServer();
    const after = await startModelServer();
    cleanup.push(
      () => before.close(),
      () => after.close(),
    );
    const repo = await makeDemoRepo();
    cleanup.push(() => repo.cleanup());
    await repo.edit('models/chat.yaml', (t) =>
      t.replace(/provider:\n {2}type: openai\n/, `provider:\n  type: ollama\n  baseUrl: ${before.origin}\n`),
    );
    repo.commit('chat is served by the old Ollama server');
    await repo.edit('models/chat.yaml', (t) =>
      t
        .replace(`baseUrl: ${before.origin}`, `baseUrl: ${after.origin}`)
        .replace('snapshot: gpt-4o-2024-05-13', 'snapshot: gpt-4o-2024-11-20'),
    );
    repo.commit('move chat to the new Ollama server and snapshot');
    const env = { SWITCHYARD_OFFLINE: '0', OPENAI_API_KEY: 'sk-grader', OPENAI_BASE_URL: grading.baseUrl };

    grading.resetStats();
    const io = testIo(repo.dir, env);
    await main(['eval', '--base', 'HEAD~1'], io);
    expect(io.text()).toMatch(/eval: 14 cases: \d+ passed/);
    expect(before.stats.byModel).toEqual({ 'gpt-4o-2024-05-13': 5 });
    expect(after.stats.byModel).toEqual({ 'gpt-4o-2024-11-20': 9 });
    expect(grading.stats.chat).toBe(0);

    before.resetStats();
    after.resetStats();
    await main(['shadow', '--base', 'HEAD~1', '--concurrency', '4'], testIo(repo.dir, env));
    const rows = before.stats.chat;
    expect(rows).toBeGreaterThan(0);
    expect(before.stats.byPath).toEqual({ 'POST /api/chat': rows });
    expect(before.stats.byModel).toEqual({ 'gpt-4o-2024-05-13': rows });
    expect(after.stats.byPath).toEqual({ 'POST /api/chat': rows });
    expect(after.stats.byModel).toEqual({ 'gpt-4o-2024-11-20': rows });
  });
});

describe('a grader model alias in switchyard.yaml', () => {
  it('sends llm-rubric grading to where that model is served; embeddings stay on the grading endpoint', async () => {
    const judge = await startModelServer();
    cleanup.push(() => judge.close());
    const repo = await makeDemoRepo();
    cleanup.push(() => repo.cleanup());
    await writeFile(
      join(repo.dir, 'models/judge.yaml'),
      '# yaml-language-server: $schema=../schemas/model.schema.json\n' +
        `alias: judge\nprovider:\n  type: anthropic\n  baseUrl: ${judge.origin}\n` +
        'snapshot: claude-sonnet-4-5-20250929\nconversations: pinned\nretired: []\n',
    );
    await repo.edit('switchyard.yaml', (t) => t.replace('  concurrency: 4\n', '  concurrency: 4\n  grader: judge\n'));
    await repo.edit('prompts/summarization/v1.yaml', (t) =>
      t.replace(
        '        - type: icontains\n          value: charged twice\n',
        '        - type: icontains\n          value: charged twice\n        - type: llm-rubric\n          value: The summary mentions the duplicate charge.\n',
      ),
    );
    repo.commit('grade with the judge model, and grade the refund summary with a rubric');
    await repo.edit('models/chat.yaml', (t) => t.replace('snapshot: gpt-4o-2024-05-13', 'snapshot: gpt-4o-2024-11-20'));
    repo.commit('move the chat pin to gpt-4o-2024-11-20');

    grading.resetStats();
    const io = testIo(repo.dir, {
      SWITCHYARD_OFFLINE: '0',
      OPENAI_API_KEY: 'sk-grader',
      OPENAI_BASE_URL: grading.baseUrl,
      ANTHROPIC_API_KEY: 'sk-ant-judge',
    });
    await main(['eval', '--base', 'HEAD~1', '--no-cache'], io);
    expect(io.text()).toContain(
      `eval: grading (llm-rubric) by model judge (Anthropic Messages API at ${judge.origin}); embeddings (similar) by`,
    );
    // Every case passes: the judge's verdict (Anthropic wire) parsed as promptfoo's grading JSON.
    expect(io.text()).toMatch(/eval: 14 cases: 14 passed/);
    // The rubric case runs on the new snapshot and, for the delta, on the base's: graded at the judge.
    expect(judge.stats.byPath).toEqual({ 'POST /v1/messages': 2 });
    expect(judge.stats.byModel).toEqual({ 'claude-sonnet-4-5-20250929': 2 });
    // The grading endpoint answered the prompts under test (chat is `openai`) and graded none.
    const rubric = io.text().match(/eval: (\d+) cases/);
    expect(rubric).not.toBeNull();
    expect(grading.stats.chat).toBe(Number(rubric?.[1]));
  });
});

describe('an anthropic model whose key variable is not set', () => {
  it('is answered offline, and eval and shadow name the variable', async () => {
    const served = await startModelServer();
    cleanup.push(() => served.close());
    const repo = await servedRepo(SCENARIOS[0] as Scenario, served);
    const env = { SWITCHYARD_OFFLINE: '0', OPENAI_API_KEY: 'sk-grader', OPENAI_BASE_URL: grading.baseUrl };
    const io = testIo(repo.dir, env);
    await main(['eval', '--base', 'HEAD~1', '--no-cache'], io);
    expect(io.text()).toMatch(/eval: 14 cases: \d+ passed, \d+ failed, 0 errored/);
    expect(io.text()).toMatch(
      /eval: model chat answered by Switchyard offline model server.*: CLAUDE_API_KEY is not set/,
    );
    const shadowIo = testIo(repo.dir, env);
    await main(['shadow', '--base', 'HEAD~1'], shadowIo);
    expect(shadowIo.text()).toMatch(/answers by Switchyard offline model server.*: CLAUDE_API_KEY is not set/);
    expect(served.stats.requests).toBe(0);
  });
});

describe('an Anthropic-only project (no OPENAI_API_KEY)', () => {
  it('calls Anthropic with its key; grading and embeddings are offline, and the output says each', async () => {
    const served = await startModelServer();
    cleanup.push(() => served.close());
    const repo = await servedRepo(SCENARIOS[0] as Scenario, served);
    grading.resetStats();
    const io = testIo(repo.dir, { SWITCHYARD_OFFLINE: '0', OPENAI_BASE_URL: grading.baseUrl, CLAUDE_API_KEY: 'sk' });
    await main(['eval', '--base', 'HEAD~1', '--no-cache'], io);
    expect(io.text()).toContain('eval: grading (llm-rubric, similar) by Switchyard offline model server');
    expect(io.text()).toContain(`eval: model chat answered by Anthropic Messages API at ${served.origin}`);
    expect(io.text()).toMatch(/eval: 14 cases: \d+ passed/);
    expect(served.stats.byPath).toEqual({ 'POST /v1/messages': 14 });
    expect(grading.stats.requests).toBe(0);
  });
});
