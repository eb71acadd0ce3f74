/**
 * One promptfoo `evaluate()` over a batch of cases. Each case goes to promptfoo's own provider for
 * its model's route (`openai:chat:<snapshot>`, `anthropic:messages:<snapshot>`, `ollama:chat:…`,
 * `http`, with the route's config; see model-routes.ts),
 * restricted to that provider with the test's `providers` filter; the grader (on the grading
 * endpoint, or the route of switchyard.yaml's `eval.grader` alias) and the embedder (on the grading
 * endpoint) are set explicitly so promptfoo never falls back to api.openai.com. Results are classified with promptfoo's own `failureReason`: 1 = an assertion
 * said no (`fail`), 2 = the provider or an assertion crashed (`error`).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { sha256Hex } from '../bundle/runtime-format.ts';
import type { ModelEndpoint } from './endpoint.ts';
import { chatPromptJson } from './render.ts';
import type { EvalCase } from './cases.ts';
import { costOf, providerConfig, type ModelRoute } from './model-routes.ts';
import { ProcessEnvGate } from './process-env-gate.ts';
import type { PromptfooModule } from './promptfoo-env.ts';
import type { AssertionResult, CaseResult, CaseStatus } from './results.ts';

/** The var holding a case's rendered chat messages (JSON); promptfoo's OpenAI provider parses it. */
const MESSAGES_VAR = '__switchyard_messages';

/**
 * The test metadata member naming the case a result belongs to. Results are matched by it, never
 * by position: promptfoo's `testIdx` counts expanded tests, not the tests it was given.
 */
const CASE_META = 'switchyardCase';

/** promptfoo's `ResultFailureReason`. */
const FAILURE_ASSERT = 1;
const FAILURE_ERROR = 2;

interface PromptfooComponent {
  pass?: boolean;
  score?: number;
  reason?: string;
  assertion?: { type?: string } | null;
}

interface PromptfooResult {
  testIdx: number;
  testCase?: { metadata?: Record<string, unknown> } | null;
  metadata?: Record<string, unknown> | null;
  success: boolean;
  score: number;
  failureReason?: number;
  error?: string | null;
  latencyMs?: number;
  cost?: number;
  response?: {
    output?: unknown;
    cost?: number;
    tokenUsage?: { prompt?: number; completion?: number; total?: number };
  } | null;
  gradingResult?: { reason?: string; componentResults?: PromptfooComponent[] } | null;
}

export interface BatchInput {
  cases: readonly EvalCase[];
  routeOf(c: EvalCase): ModelRoute;
  /**
   * Who grades: `grader` (the route of switchyard.yaml's `eval.grader` alias) when set, else
   * `openai:chat:<graderModel>` on the endpoint; the embedder is always on the endpoint.
   */
  grading: { endpoint: ModelEndpoint; graderModel: string; embeddingModel: string; grader?: ModelRoute };
  concurrency: number;
  onCaseDone?: () => void;
  /**
   * Where the `file://` modules of cases (`EvalCase.code`) are written for promptfoo to load, one
   * directory per content (run-eval.ts: `<root>/.switchyard/eval-code`; default: the temp dir).
   */
  codeDir?: string;
}

/**
 * The case's assertions and options with each `file://` module pointing at a copy of the source
 * the case was keyed on (its own side's: the base commit's for a base case), not at the working
 * tree, so what runs is what the cache key names (docs/evaluation.md).
 */
async function withCode(c: EvalCase, dir: string): Promise<Pick<EvalCase, 'assert' | 'options'>> {
  const code = Object.entries(c.code ?? {});
  if (code.length === 0) return c;
  const moved = new Map<string, string>();
  for (const [ref, text] of code) {
    const folder = join(dir, sha256Hex(new TextEncoder().encode(text)).slice(0, 32));
    await mkdir(folder, { recursive: true });
    const path = join(folder, basename(ref));
    await writeFile(path, text);
    moved.set(ref, `file://${path}`);
  }
  const walk = (v: unknown): unknown =>
    typeof v === 'string'
      ? (moved.get(v) ?? v)
      : Array.isArray(v)
        ? v.map(walk)
        : v && typeof v === 'object'
          ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]))
          : v;
  return { assert: walk(c.assert) as EvalCase['assert'], options: walk(c.options) as EvalCase['options'] };
}

function asText(output: unknown): string {
  return typeof output === 'string' ? output : output === undefined || output === null ? '' : JSON.stringify(output);
}

/** Leaves of a grading result: assertion sets nest their members' results. */
function leaves(components: readonly PromptfooComponent[]): PromptfooComponent[] {
  return components.flatMap((c) => {
    const nested = (c as { componentResults?: PromptfooComponent[] }).componentResults;
    return Array.isArray(nested) && nested.length > 0 ? leaves(nested) : [c];
  });
}

export function errorResult(c: EvalCase, error: string, attempts: number): CaseResult {
  return {
    id: c.id,
    target: c.target,
    index: c.index,
    description: c.description,
    key: c.key,
    status: 'error',
    pass: false,
    score: 0,
    error,
    output: '',
    assertions: [],
    cached: false,
    tokens: null,
    latencyMs: null,
    cost: null,
    attempts,
  };
}

/** promptfoo provider options for a route with the case's parameters, labelled for the test filter. */
function providerOptions(route: ModelRoute, c: EvalCase, label: string) {
  return { id: route.providerId, label, config: providerConfig(route, c.params) };
}

/**
 * Wraps a promptfoo provider so its `cost` comes from the model YAML's price for the snapshot
 * (promptfoo's own table knows only public OpenAI names); without a price there is no cost.
 */
function priced<P extends { callApi: (...args: never[]) => Promise<unknown> }>(provider: P, route: ModelRoute): P {
  const call = provider.callApi.bind(provider) as (...args: unknown[]) => Promise<Record<string, unknown>>;
  provider.callApi = (async (...args: unknown[]) => {
    const response = await call(...args);
    const usage = response.tokenUsage as { prompt?: number; completion?: number } | undefined;
    const cost = usage ? costOf(route.price, usage.prompt ?? 0, usage.completion ?? 0) : undefined;
    return { ...response, cost };
  }) as P['callApi'];
  return provider;
}

/**
 * Runs the batch; every case gets exactly one result: promptfoo's results are matched to cases by
 * the case id in their test metadata, and a case with no result, or with more than one, is an error.
 * Settings promptfoo reads only from `process.env` (Ollama's base URL) hold one value at a time,
 * so cases are grouped by them and each group is one `evaluate()` with its values set.
 */
export async function runPromptfooBatch(
  promptfoo: PromptfooModule,
  input: BatchInput,
): Promise<Map<string, CaseResult>> {
  const groups = new Map<string, { env: Record<string, string>; cases: EvalCase[] }>();
  const results = new Map<string, CaseResult>();
  const graderEnv = input.grading.grader?.processEnv ?? {};
  for (const c of input.cases) {
    const own = input.routeOf(c).processEnv;
    const clash = Object.keys(own).find((name) => graderEnv[name] !== undefined && graderEnv[name] !== own[name]);
    if (clash !== undefined) {
      results.set(
        c.id,
        errorResult(
          c,
          `the model and the grader need different ${clash} (${own[clash]}, ${graderEnv[clash]}); promptfoo reads it from the process environment, so one evaluation can use only one`,
          0, // refused before any call (and retrying cannot help)
        ),
      );
      continue;
    }
    const env = { ...graderEnv, ...own };
    const key = JSON.stringify(Object.entries(env).sort());
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { env, cases: [] }));
    group.cases.push(c);
  }
  const gate = new ProcessEnvGate();
  for (const group of groups.values()) {
    const part = await gate.run(group.env, () => runGroup(promptfoo, input, group.cases));
    for (const [id, r] of part) results.set(id, r);
  }
  return results;
}

async function runGroup(
  promptfoo: PromptfooModule,
  input: BatchInput,
  cases: readonly EvalCase[],
): Promise<Map<string, CaseResult>> {
  const labels = new Map<string, string>();
  const providers: unknown[] = [];
  const tests = [];
  for (const c of cases) {
    const route = input.routeOf(c);
    // In memory only: the config holds the key, which never reaches a file or a log.
    const signature = JSON.stringify([route.providerId, route.endpointKey, route.config, c.params]);
    let label = labels.get(signature);
    if (label === undefined) {
      label = `switchyard-${labels.size + 1}`;
      labels.set(signature, label);
      const options = providerOptions(route, c, label);
      const provider = await promptfoo.loadApiProvider(options.id, { options });
      providers.push(priced(provider, route));
    }
    const { assert, options } = await withCode(c, input.codeDir ?? join(tmpdir(), 'switchyard-eval-code'));
    tests.push({
      description: c.id,
      metadata: { [CASE_META]: c.id },
      vars: { ...c.vars, [MESSAGES_VAR]: chatPromptJson(c.messages) },
      assert,
      providers: [label],
      // One case is one test: promptfoo would run a list variable once per value (docs/evaluation.md).
      options: { disableVarExpansion: true, ...(options.transform ? { transform: options.transform } : {}) },
    });
  }
  const g = input.grading;
  const grader = g.grader
    ? { id: g.grader.providerId, config: { ...g.grader.config, ...g.grader.params({ temperature: 0 }) } }
    : {
        id: `openai:chat:${g.graderModel}`,
        config: { apiBaseUrl: g.endpoint.baseUrl, apiKey: g.endpoint.apiKey, temperature: 0 },
      };
  const embedder = {
    id: `openai:embedding:${g.embeddingModel}`,
    config: { apiBaseUrl: g.endpoint.baseUrl, apiKey: g.endpoint.apiKey },
  };
  const suite = {
    prompts: [{ raw: `{{ ${MESSAGES_VAR} }}`, label: 'switchyard' }],
    providers,
    defaultTest: { options: { provider: { text: grader, embedding: embedder } } },
    tests,
    writeLatestResults: false,
    sharing: false,
  };
  const record = await promptfoo.evaluate(
    suite as unknown as Parameters<PromptfooModule['evaluate']>[0],
    {
      maxConcurrency: Math.max(1, input.concurrency),
      cache: false,
      showProgressBar: false,
      progressCallback: () => input.onCaseDone?.(),
    } as Parameters<PromptfooModule['evaluate']>[1],
  );
  const summary = (await record.toEvaluateSummary()) as unknown as { results: PromptfooResult[] };

  const byId = new Map(cases.map((c) => [c.id, c]));
  const got = new Map<string, PromptfooResult[]>();
  for (const r of summary.results) {
    const id = r.testCase?.metadata?.[CASE_META] ?? r.metadata?.[CASE_META];
    if (typeof id === 'string' && byId.has(id)) got.set(id, [...(got.get(id) ?? []), r]);
  }
  const results = new Map<string, CaseResult>();
  for (const c of cases) {
    const mine = got.get(c.id) ?? [];
    const r = mine[0];
    if (mine.length !== 1 || !r) {
      // Never guess which answer is whose: no verdict (so nothing is cached) for this case.
      results.set(
        c.id,
        errorResult(
          c,
          mine.length === 0
            ? 'promptfoo returned no result for this case'
            : `promptfoo returned ${mine.length} results for this case (one expected)`,
          1,
        ),
      );
      continue;
    }
    const assertions: AssertionResult[] = leaves(r.gradingResult?.componentResults ?? []).map((a) => ({
      type: a.assertion?.type ?? 'unknown',
      pass: a.pass === true,
      score: typeof a.score === 'number' ? a.score : 0,
      reason: a.reason ?? '',
    }));
    const status: CaseStatus = r.success === true ? 'pass' : r.failureReason === FAILURE_ASSERT ? 'fail' : 'error';
    const usage = r.response?.tokenUsage;
    const cost = r.response?.cost;
    results.set(c.id, {
      id: c.id,
      target: c.target,
      index: c.index,
      description: c.description,
      key: c.key,
      status,
      pass: status === 'pass',
      score: typeof r.score === 'number' ? r.score : 0,
      error:
        status === 'error' ? String(r.error ?? r.gradingResult?.reason ?? 'the provider returned no output') : null,
      output: asText(r.response?.output),
      assertions,
      cached: false,
      tokens:
        usage && typeof usage.total === 'number'
          ? { prompt: usage.prompt ?? 0, completion: usage.completion ?? 0, total: usage.total }
          : null,
      latencyMs: typeof r.latencyMs === 'number' ? r.latencyMs : null,
      cost: typeof cost === 'number' && Number.isFinite(cost) ? cost : null,
      attempts: 1,
    });
    if (
      r.failureReason !== undefined &&
      r.failureReason !== FAILURE_ASSERT &&
      r.failureReason !== FAILURE_ERROR &&
      !r.success
    ) {
      // An unknown failure reason from a newer promptfoo: no verdict, so never a silent pass or fail.
      results.set(c.id, errorResult(c, `promptfoo reported failure reason ${r.failureReason}`, 1));
    }
  }
  return results;
}
