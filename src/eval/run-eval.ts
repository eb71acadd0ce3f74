/**
 * `switchyard eval` as a function: affected targets → cases → cache lookups → one promptfoo
 * `evaluate()` for the misses → results (written back to the cache) → an `EvalRun` document.
 */
import type { Project } from '../config/types.ts';
import { openCaseCache, cacheDir, type CaseCache } from './cache.ts';
import { buildCases, shardCases, type CaseContext, type EvalCase, type Shard } from './cases.ts';
import { createClient, type ModelEndpoint } from './endpoint.ts';
import { loadPromptfoo } from './promptfoo-env.ts';
import { chatProvider, embeddingProvider, graderProvider, type ChatRequest } from './providers.ts';
import type { AssertionResult, CaseResult, EvalRun } from './results.ts';
import { affectedTargets } from './targets.ts';

/** Grader and embedding models, always explicit (promptfoo's defaults would call api.openai.com). */
export const DEFAULT_GRADER_MODEL = 'gpt-4o-2024-08-06';
export const DEFAULT_EMBEDDING_MODEL = 'text-embedding-3-small';

export interface RunEvalOptions {
  head: Project;
  /** Base configuration; undefined evaluates every active/draft version with tests. */
  base: Project | undefined;
  /** Name of the base ref, for the report. */
  baseRef: string | null;
  endpoint: ModelEndpoint;
  concurrency: number;
  shard?: Shard;
  /** Defaults to `<head.root>/.switchyard/eval-cache`; pass `null` to disable caching. */
  cache?: CaseCache | null;
  graderModel?: string;
  embeddingModel?: string;
  /** Called as cases finish (cached ones first). */
  onProgress?: (done: number, total: number) => void;
}

const TEMPLATE_VAR = '__switchyard_request';

interface PromptfooComponent {
  pass?: boolean;
  score?: number;
  reason?: string;
  assertion?: { type?: string } | null;
}

interface PromptfooResult {
  testIdx: number;
  success: boolean;
  score: number;
  error?: string | null;
  response?: { output?: unknown } | null;
  gradingResult?: { componentResults?: PromptfooComponent[] } | null;
}

function asText(output: unknown): string {
  return typeof output === 'string' ? output : output === undefined || output === null ? '' : JSON.stringify(output);
}

function errorResult(c: EvalCase, error: string): CaseResult {
  return { id: c.id, target: c.target, index: c.index, description: c.description, key: c.key, pass: false, score: 0, error, output: '', assertions: [], cached: false };
}

export async function runEval(options: RunEvalOptions): Promise<EvalRun> {
  const started = performance.now();
  const { head, endpoint } = options;
  const graderModel = options.graderModel ?? DEFAULT_GRADER_MODEL;
  const embeddingModel = options.embeddingModel ?? DEFAULT_EMBEDDING_MODEL;
  const context: CaseContext = { provider: endpoint.offline ? 'offline' : endpoint.baseUrl, graderModel, embeddingModel };
  const targets = affectedTargets(head, options.base);
  const shard = options.shard ?? { index: 1, count: 1 };
  const cases = shardCases(buildCases(head, targets, context), shard);
  const cache = options.cache === undefined ? openCaseCache(cacheDir(head.root)) : options.cache;

  const results = new Map<string, CaseResult>();
  const toRun: EvalCase[] = [];
  for (const c of cases) {
    if (c.missing.length > 0) {
      results.set(c.id, errorResult(c, `variables without a value: ${c.missing.join(', ')}`));
      continue;
    }
    const hit = cache ? await cache.get(c.key) : undefined;
    if (hit) results.set(c.id, { ...hit, id: c.id, target: c.target, index: c.index, description: c.description, cached: true });
    else toRun.push(c);
  }
  let done = results.size;
  options.onProgress?.(done, cases.length);

  if (toRun.length > 0) {
    const promptfoo = await loadPromptfoo(head.root, endpoint);
    const client = createClient(endpoint);
    const tests = toRun.map((c) => {
      const request: ChatRequest = { model: c.snapshot, params: c.params, messages: c.messages };
      return { description: c.id, vars: { ...c.vars, [TEMPLATE_VAR]: JSON.stringify(request) }, assert: c.assert };
    });
    const suite = {
      prompts: [{ raw: `{{ ${TEMPLATE_VAR} }}`, label: 'switchyard' }],
      providers: [chatProvider(client)],
      defaultTest: { options: { provider: { text: graderProvider(client, graderModel), embedding: embeddingProvider(client, embeddingModel) } } },
      tests,
      writeLatestResults: false,
      sharing: false,
    };
    const record = await promptfoo.evaluate(suite as unknown as Parameters<typeof promptfoo.evaluate>[0], {
      maxConcurrency: Math.max(1, options.concurrency),
      cache: false,
      showProgressBar: false,
      progressCallback: () => {
        done++;
        options.onProgress?.(Math.min(done, cases.length), cases.length);
      },
    } as Parameters<typeof promptfoo.evaluate>[1]);
    const summary = (await record.toEvaluateSummary()) as unknown as { results: PromptfooResult[] };
    for (const r of summary.results) {
      const c = toRun[r.testIdx];
      if (!c) continue;
      const assertions: AssertionResult[] = (r.gradingResult?.componentResults ?? []).map((a) => ({
        type: a.assertion?.type ?? 'unknown',
        pass: a.pass === true,
        score: typeof a.score === 'number' ? a.score : 0,
        reason: a.reason ?? '',
      }));
      const result: CaseResult = {
        id: c.id,
        target: c.target,
        index: c.index,
        description: c.description,
        key: c.key,
        pass: r.success === true,
        score: typeof r.score === 'number' ? r.score : 0,
        error: r.error ? String(r.error) : null,
        output: asText(r.response?.output),
        assertions,
        cached: false,
      };
      results.set(c.id, result);
      if (cache && result.error === null) await cache.put(c.key, result);
    }
    for (const c of toRun) if (!results.has(c.id)) results.set(c.id, errorResult(c, 'promptfoo returned no result for this case'));
  }

  const all = cases.map((c) => results.get(c.id)).filter((r): r is CaseResult => r !== undefined);
  return {
    kind: 'switchyard.eval-run',
    format: 1,
    offline: endpoint.offline,
    endpoint: endpoint.label,
    base: options.baseRef,
    shard,
    targets,
    cases: all,
    stats: {
      cases: all.length,
      executed: all.filter((r) => !r.cached).length,
      cached: all.filter((r) => r.cached).length,
      passed: all.filter((r) => r.pass).length,
      failed: all.filter((r) => !r.pass && r.error === null).length,
      errors: all.filter((r) => r.error !== null).length,
    },
    durationMs: Math.round(performance.now() - started),
  };
}
