/**
 * The cache key holds every input that can change a verdict (issue 13), and nothing that cannot: a
 * reused verdict must be one the same inputs would give again. One row per input; a new input that
 * changes a verdict belongs in this list (and in the key, src/eval/cases.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadProject } from '../../src/config/index.ts';
import type { Assertion, ModelPin, Project, PromptVersion } from '../../src/config/types.ts';
import { buildCases, type CaseContext } from '../../src/eval/cases.ts';
import { affectedTargets, openCaseCache, openWorkspace, runEval } from '../../src/eval/index.ts';
import { join } from 'node:path';
import { tempRepo } from '../config/helpers.ts';
import { offlineSuite } from './offline-suite.ts';

const suite = offlineSuite();

let project: Project;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  const r = await tempRepo();
  cleanup = r.cleanup;
  const loaded = await loadProject(r.dir);
  expect(loaded.errors).toEqual([]);
  project = loaded.value!;
});
afterAll(() => cleanup());

const CONTEXT: CaseContext = {
  endpointOf: () => 'offline',
  graderEndpoint: 'offline',
  graderModel: 'grader-a',
  embeddingModel: 'embed-a',
  evaluator: 'promptfoo@0.121.20',
};

interface Parts {
  version: PromptVersion;
  pin: ModelPin;
  context: CaseContext;
}

/** Keys of summarization v1's first two cases (the first asserts on cost) after `change`. */
function keys(change: (p: Parts) => void = () => {}): [string, string] {
  const p = structuredClone(project);
  const version = p.prompts.get('summarization')!.get(1)!;
  const pin = p.models.get(version.model)!;
  (version.tests.cases[0]!.assert ??= []).push({ type: 'cost', threshold: 1 } as Assertion);
  const context = { ...CONTEXT };
  change({ version, pin, context });
  const targets = affectedTargets(p, undefined).filter((t) => t.prompt === 'summarization' && t.version === 1);
  const [a, b] = buildCases(p, targets.slice(0, 1), context);
  return [a!.key, b!.key];
}

const first = (p: Parts) => p.version.tests.cases[0]!;
const assertion = (p: Parts) => first(p).assert![0] as Assertion & Record<string, unknown>;

/** Inputs that change a verdict: each must change the key of the case it touches. */
const INPUTS: Array<[string, (p: Parts) => void]> = [
  ['rendered prompt text', (p) => (p.version.messages[0]!.content += ' Be brief.')],
  ['a variable', (p) => (first(p).vars = { ...first(p).vars, ticket: 'another ticket' })],
  ['version params', (p) => (p.version.params = { ...p.version.params, temperature: 0.9 })],
  ['pin params', (p) => (p.pin.params = { ...p.pin.params, max_tokens: 7 })],
  ['snapshot', (p) => (p.pin.snapshot = 'gpt-4o-2024-11-20')],
  ['where the model is served (provider config)', (p) => (p.context.endpointOf = () => 'openai|http://x/v1')],
  ['grader endpoint / grader alias route', (p) => (p.context.graderEndpoint = 'anthropic|http://judge')],
  ['grader model', (p) => (p.context.graderModel = 'grader-b')],
  ['embedding model', (p) => (p.context.embeddingModel = 'embed-b')],
  ['promptfoo version', (p) => (p.context.evaluator = 'promptfoo@0.122.0')],
  ['assertion value', (p) => (assertion(p).value = 'other')],
  ['assertion threshold', (p) => (assertion(p).threshold = 0.5)],
  ['assertion metric', (p) => (assertion(p).metric = 'accuracy')],
  ['assertion weight', (p) => (assertion(p).weight = 3)],
  ['assertion transform', (p) => (assertion(p).transform = 'output.trim()')],
  ['assertion config', (p) => (assertion(p).config = { x: 1 })],
  ['case options.transform', (p) => (first(p).options = { transform: 'output.trim()' })],
  [
    'defaultTest (options, vars, assertions)',
    (p) => (p.version.tests.defaultTest = { options: { transform: 'output' } }),
  ],
  [
    'the price, for a case with a cost assertion',
    (p) => (p.pin.prices = { [p.pin.snapshot]: { input: 99, output: 99 } }),
  ],
];

describe('the eval cache key', () => {
  const before = () => keys();

  it.each(INPUTS)('changes with %s', (_name, change) => {
    expect(keys(change)[0]).not.toBe(before()[0]);
  });

  it('does not change with what cannot change a verdict', () => {
    const [costCase, plainCase] = before();
    // The description names the case; the pass bar judges the target, not the case.
    expect(keys((p) => (first(p).description = 'renamed'))).toEqual([costCase, plainCase]);
    expect(keys((p) => (p.version.tests.minPassRate = 0.1))).toEqual([costCase, plainCase]);
    // A case without a cost assertion keeps its verdict when the price changes (its cost column
    // is recomputed from the cached token counts).
    const repriced = keys((p) => (p.pin.prices = { [p.pin.snapshot]: { input: 99, output: 99 } }));
    expect(repriced[1]).toBe(plainCase);
  });
});

describe('prices and the cache (real promptfoo, offline server)', () => {
  it('re-runs a cost assertion and re-prices cached cases when the price changes', async () => {
    const r = await suite.repo();
    const V2 = 'prompts/summarization/v2.yaml';
    await r.edit(V2, (t) =>
      t.replace(
        '        - type: icontains\n          value: password reset',
        '        - type: icontains\n          value: password reset\n        - type: cost\n          threshold: 0.001',
      ),
    );
    const cache = openCaseCache(join(r.dir, '.switchyard', 'price-cache'));
    const run = async () =>
      runEval({
        head: (await openWorkspace(r.dir, undefined)).head!,
        base: undefined,
        baseRef: null,
        endpoint: suite.endpoint,
        concurrency: 4,
        cache,
      });
    const find = (x: Awaited<ReturnType<typeof run>>, i: number) =>
      x.cases.find((c) => c.id === `summarization@v2:gpt-4o-2024-05-13#${i}`)!;
    const cheap = await run();
    expect(find(cheap, 2)).toMatchObject({ status: 'pass', cached: false });

    // 1000× the price of gpt-4o-2024-05-13 ($5 / $15 per 1M tokens in models/chat.yaml).
    await r.edit('models/chat.yaml', (t) =>
      t.replace(
        'gpt-4o-2024-05-13: { input: 5.0, output: 15.0 }',
        'gpt-4o-2024-05-13: { input: 5000.0, output: 15000.0 }',
      ),
    );
    const dear = await run();
    // The cost-asserting case is asked again and now fails its budget …
    expect(find(dear, 2)).toMatchObject({ status: 'fail', cached: false });
    // … and a cached case's cost is today's price of its cached tokens, not the old figure.
    const cached = find(dear, 0);
    expect(cached.cached).toBe(true);
    const tokens = cached.tokens!;
    expect(cached.cost).toBeCloseTo((tokens.prompt * 5000 + tokens.completion * 15000) / 1e6, 9);
    expect(cached.cost).toBeCloseTo(find(cheap, 0).cost! * 1000, 9);
  });
});
