/**
 * Runs shadow plans: each dataset row through the base and the head configuration, each pair
 * scored by embedding cosine and token F1, gated like the article's `readyToSwitch` (`avg >
 * minAvgSimilarity && min > minMinSimilarity`, on cosine). Each side is called where its model is
 * served: OpenAI-wire routes through the real `openai` SDK, the others (Anthropic, Ollama, http)
 * through promptfoo's own provider for the route, as `switchyard eval` calls them (model-routes.ts).
 */
import type OpenAI from 'openai';
import type { ShadowGate } from '../config/types.ts';
import { createClient, type ModelEndpoint } from './endpoint.ts';
import { DEFAULT_EMBEDDING_MODEL } from './run-eval.ts';
import { cosine, summarise, tokenF1, type Summary } from './similarity.ts';
import { providerConfig, routeFor, type ModelRoute } from './model-routes.ts';
import { ProcessEnvGate } from './process-env-gate.ts';
import { loadPromptfoo } from './promptfoo-env.ts';
import type { ShadowPlan, ShadowSide, SideRequest } from './shadow-plan.ts';

export interface ShadowPair {
  rowId: string;
  input: string;
  base: string;
  head: string;
  cosine: number;
  lexical: number;
}

export interface ShadowResult {
  id: string;
  kind: ShadowPlan['kind'];
  title: string;
  dataset: string;
  base: string;
  head: string;
  gate: ShadowGate;
  blocking: boolean;
  count: number;
  cosine: Summary;
  lexical: Summary;
  /** `avg > minAvgSimilarity && min > minMinSimilarity` on cosine; false when no pair could be scored. */
  passed: boolean;
  /** Lowest-cosine pairs first (at most `keepDivergent`). */
  divergent: ShadowPair[];
  /** Every pair (the report truncates). */
  pairs: ShadowPair[];
  problems: string[];
  /** Rows whose calls failed (no pair scored); absent in results written before it was counted. */
  failed?: number;
  /** Where each side's answers came from (a route label; offline ones say why); absent in older results. */
  sources?: { base: string; head: string };
}

export interface ShadowRun {
  kind: 'switchyard.shadow-run';
  format: 1;
  /** Some answers or the scoring embeddings came from the offline model server. */
  offline: boolean;
  /** Where the scoring embeddings came from. */
  endpoint: string;
  base: string | null;
  embeddingModel: string;
  comparisons: ShadowResult[];
  durationMs: number;
}

export interface RunShadowOptions {
  plans: ShadowPlan[];
  endpoint: ModelEndpoint;
  baseRef: string | null;
  concurrency: number;
  embeddingModel?: string;
  keepDivergent?: number;
  /** Repository root: promptfoo (for non-OpenAI providers) keeps its state under `<root>/.switchyard/`. */
  root?: string;
  onProgress?: (done: number, total: number) => void;
}

async function pool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}

type Reply = (request: SideRequest) => Promise<string>;

/** An OpenAI-wire side: the SDK with the request's messages and parameters (temperature, max_tokens…). */
async function reply(client: OpenAI, route: ModelRoute, model: string, request: SideRequest): Promise<string> {
  const r = await client.chat.completions.create({
    ...route.params(request.params),
    model,
    messages: request.messages,
  });
  return r.choices[0]?.message.content ?? '';
}

interface PromptfooProvider {
  callApi(prompt: string): Promise<{ output?: unknown; error?: string }>;
}

/**
 * A side served by a non-OpenAI provider: promptfoo's provider for the route and the request's
 * parameters, given the messages as the JSON chat prompt its providers parse (as `switchyard eval`).
 */
function promptfooReply(provider: PromptfooProvider, route: ModelRoute, gate: ProcessEnvGate): Reply {
  return async (request) => {
    const r = await gate.run(route.processEnv, () => provider.callApi(JSON.stringify(request.messages)));
    if (r.error) throw new Error(r.error);
    return typeof r.output === 'string' ? r.output : JSON.stringify(r.output ?? '');
  };
}

export function gatePasses(gate: ShadowGate, stats: Summary, count: number): boolean {
  return count > 0 && stats.avg > gate.minAvgSimilarity && stats.min > gate.minMinSimilarity;
}

export async function runShadow(options: RunShadowOptions): Promise<ShadowRun> {
  const started = performance.now();
  // Scoring embeddings go to the grading endpoint; each side's chat requests go where its model is served.
  const client = createClient(options.endpoint);
  const clients = new Map<string, OpenAI>();
  const providers = new Map<string, Promise<Reply>>();
  const gate = new ProcessEnvGate();
  // A promptfoo provider carries its parameters in its config: one provider per route and parameter set.
  const replyFor = (side: ShadowSide, request: SideRequest): Promise<Reply> => {
    const route = routeFor(side.pin, side.snapshot, options.endpoint);
    if (route.unusable !== undefined) return Promise.reject(new Error(route.unusable));
    const wire = route.openai;
    if (wire) {
      const key = `${wire.baseUrl}\n${wire.apiKey}`;
      let c = clients.get(key);
      if (!c) clients.set(key, (c = createClient({ ...wire, offline: route.offline })));
      const sdk = c;
      return Promise.resolve((r) => reply(sdk, route, side.snapshot, r));
    }
    // In memory only: the config holds the key.
    const config = providerConfig(route, request.params);
    const key = JSON.stringify([route.providerId, config]);
    let p = providers.get(key);
    if (!p) {
      p = (async () => {
        const promptfoo = await loadPromptfoo(options.root ?? process.cwd(), options.endpoint);
        // Every call is a fresh observation: promptfoo's response cache would replay old answers.
        promptfoo.cache.disableCache();
        const provider = await promptfoo.loadApiProvider(route.providerId, { options: { config } });
        return promptfooReply(provider as unknown as PromptfooProvider, route, gate);
      })();
      providers.set(key, p);
    }
    return p;
  };
  const embeddingModel = options.embeddingModel ?? DEFAULT_EMBEDDING_MODEL;
  const total = options.plans.reduce((n, p) => n + p.requests.length, 0);
  let done = 0;
  const comparisons: ShadowResult[] = [];
  let offline = options.endpoint.offline;
  for (const plan of options.plans) {
    const base = routeFor(plan.base.pin, plan.base.snapshot, options.endpoint);
    const head = routeFor(plan.head.pin, plan.head.snapshot, options.endpoint);
    offline ||= base.offline || head.offline;
    const pairs: ShadowPair[] = [];
    const problems = [...plan.problems];
    await pool(plan.requests, options.concurrency, async (req) => {
      try {
        const [b, h] = await Promise.all([
          replyFor(plan.base, req.base).then((call) => call(req.base)),
          replyFor(plan.head, req.head).then((call) => call(req.head)),
        ]);
        const e = await client.embeddings.create({ model: embeddingModel, input: [b, h] });
        const vb = e.data.find((d) => d.index === 0)?.embedding ?? [];
        const vh = e.data.find((d) => d.index === 1)?.embedding ?? [];
        pairs.push({
          rowId: req.rowId,
          input: req.input,
          base: b,
          head: h,
          cosine: cosine(vb, vh),
          lexical: tokenF1(b, h),
        });
      } catch (error) {
        problems.push(`row ${req.rowId}: ${(error as Error).message}`);
      }
      options.onProgress?.(++done, total);
    });
    pairs.sort((x, y) => (x.rowId < y.rowId ? -1 : x.rowId > y.rowId ? 1 : 0));
    const cos = summarise(pairs.map((p) => p.cosine));
    const divergent = [...pairs]
      .sort((x, y) => x.cosine - y.cosine || (x.rowId < y.rowId ? -1 : 1))
      .slice(0, options.keepDivergent ?? 3);
    comparisons.push({
      id: plan.id,
      kind: plan.kind,
      title: plan.title,
      dataset: plan.dataset,
      base: plan.base.label,
      head: plan.head.label,
      gate: plan.gate,
      blocking: plan.blocking,
      count: pairs.length,
      cosine: cos,
      lexical: summarise(pairs.map((p) => p.lexical)),
      // A row that failed is missing evidence: the gate cannot pass on a partial dataset.
      passed: gatePasses(plan.gate, cos, pairs.length) && pairs.length === plan.requests.length,
      divergent,
      pairs,
      problems,
      failed: plan.requests.length - pairs.length,
      sources: { base: base.label, head: head.label },
    });
  }
  return {
    kind: 'switchyard.shadow-run',
    format: 1,
    offline,
    endpoint: options.endpoint.label,
    base: options.baseRef,
    embeddingModel,
    comparisons,
    durationMs: Math.round(performance.now() - started),
  };
}
