/**
 * The shared template vectors (test/conformance/templates.json) through the evaluator: the text a
 * case renders to is the runtime's, and it reaches the model unchanged through promptfoo — which
 * renders every test variable as a nunjucks template and substitutes `{{name}}` between variables
 * before it builds the prompt. The offline server records what each provider really sent.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelPin } from '../../src/config/types.ts';
import type { EvalCase } from '../../src/eval/cases.ts';
import { openModelEndpoint, startModelServer, type ModelEndpoint, type ModelServer } from '../../src/eval/index.ts';
import { routeFor } from '../../src/eval/model-routes.ts';
import { runPromptfooBatch } from '../../src/eval/promptfoo-batch.ts';
import { loadPromptfoo, type PromptfooModule } from '../../src/eval/promptfoo-env.ts';
import { renderMessages } from '../../src/eval/render.ts';

interface Vector {
  name: string;
  template: string;
  vars: Record<string, never>;
  rendered: string;
  missing: string[];
}

const SNAPSHOT = 'gpt-4o-2024-08-06';
let vectors: Vector[];
let server: ModelServer;
let endpoint: ModelEndpoint;
let promptfoo: PromptfooModule;
let root: string;

beforeAll(async () => {
  vectors = (
    JSON.parse(await readFile(new URL('../conformance/templates.json', import.meta.url), 'utf8')) as {
      cases: Vector[];
    }
  ).cases;
  server = await startModelServer({ record: true });
  endpoint = await openModelEndpoint({}, { server });
  root = await mkdtemp(join(tmpdir(), 'switchyard-templates-'));
  promptfoo = await loadPromptfoo(root, endpoint);
});
afterAll(async () => {
  await server.close();
  await rm(root, { recursive: true, force: true });
});

function caseOf(v: Vector, i: number): EvalCase {
  const { messages, missing } = renderMessages([{ role: 'user', content: v.template }], v.vars);
  return {
    id: `t#${i}`,
    target: 't',
    index: i,
    description: v.name,
    // promptfoo sees the case's variables too (assertions read them): they must not leak into the prompt.
    vars: v.vars,
    assert: [],
    options: {},
    model: 'chat',
    snapshot: SNAPSHOT,
    params: {},
    messages,
    code: {},
    missing,
    key: `k${i}`,
  };
}

async function sent(routeOf: (c: EvalCase) => ReturnType<typeof routeFor>): Promise<Map<string, string>> {
  server.resetStats();
  const cases = vectors.map(caseOf);
  const results = await runPromptfooBatch(promptfoo, {
    cases,
    routeOf,
    grading: { endpoint, graderModel: SNAPSHOT, embeddingModel: 'text-embedding-3-small' },
    concurrency: 1,
  });
  for (const r of results.values()) expect(r.error).toBeNull();
  const bodies = new Map<string, string>();
  for (const { body } of server.recorded) {
    const [message] = body.messages as { content: string }[];
    bodies.set(message?.content ?? '', message?.content ?? '');
  }
  return bodies;
}

describe('template conformance vectors (evaluator)', () => {
  it('renders every vector as the runtime does (text and missing names)', () => {
    vectors.forEach((v, i) => {
      const c = caseOf(v, i);
      expect(c.messages[0]?.content, v.name).toBe(v.rendered);
      expect(c.missing, v.name).toEqual([...v.missing].sort());
    });
  });

  it('sends exactly the rendered text through promptfoo on the OpenAI wire', async () => {
    const bodies = await sent(() => routeFor(undefined, SNAPSHOT, endpoint));
    expect(server.recorded).toHaveLength(vectors.length);
    for (const v of vectors) expect(bodies.has(v.rendered), `${v.name}: ${JSON.stringify(v.rendered)}`).toBe(true);
  });

  it("sends exactly the rendered text through promptfoo's http provider (body template)", async () => {
    const pin: ModelPin = {
      alias: 'chat',
      provider: {
        type: 'http',
        url: `${server.baseUrl}/chat/completions`,
        transformResponse: 'json.choices[0].message.content',
      },
      snapshot: SNAPSHOT,
      conversations: 'pinned',
      retired: [],
    };
    const bodies = await sent(() => routeFor(pin, SNAPSHOT, { ...endpoint, offline: false }));
    expect(server.recorded).toHaveLength(vectors.length);
    for (const v of vectors) expect(bodies.has(v.rendered), `${v.name}: ${JSON.stringify(v.rendered)}`).toBe(true);
  });
});
