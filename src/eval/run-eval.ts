/**
 * `switchyard eval` as a function: affected targets → cases → cache lookups → promptfoo
 * `evaluate()` for the misses (errored cases retried with backoff) → verdicts written back to the
 * cache (passes and failures alike; errors never) → an `EvalRun` document.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { backoffDelay } from '@switchyard/runtime/bundle';
import type { Project } from '../config/types.ts';
import { parse as parseYaml } from 'yaml';
import { FILE_PREFIX, isFileRef } from '../config/file-refs.ts';
import { parseTestsFile } from '../config/tests-file.ts';
import { YamlFile } from '../config/yaml-file.ts';
import { openCaseCache, cacheDir, type CaseCache } from './cache.ts';
import { buildCases, shardCases, type CaseContext, type EvalCase, type Shard } from './cases.ts';
import type { ModelEndpoint } from './endpoint.ts';
import { costOf, routeFor, type ModelRoute } from './model-routes.ts';
import { promptfooVersion } from './promptfoo-version.ts';
import { errorResult, runPromptfooBatch } from './promptfoo-batch.ts';
import { loadPromptfoo } from './promptfoo-env.ts';
import { countCases, type CaseResult, type EvalRun } from './results.ts';
import { attachBaselines } from './baselines.ts';
import { loadSideFiles } from './file-refs.ts';
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
  /** Re-runs of an errored case (default 2); errors are never cached. */
  retries?: number;
  /** Ceiling of the first retry delay; doubles each retry up to 30 s, equal jitter (default 1 s). */
  backoffMs?: number;
}

/** Retries of a case whose provider failed (promptfoo failure reason 2), with exponential backoff. */
export const DEFAULT_RETRIES = 2;
export const DEFAULT_BACKOFF_MS = 1000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Where each case of a version is written (for annotations and the report); empty when unreadable. */
async function caseLines(root: string, file: string, count: number): Promise<Array<{ file: string; line: number }>> {
  try {
    const text = await readFile(join(root, file), 'utf8');
    const yaml = new YamlFile(file, text, parseYaml(text) as unknown);
    const ref = (yaml.data as { tests?: { cases?: unknown } } | undefined)?.tests?.cases;
    if (!isFileRef(ref))
      return Array.from({ length: count }, (_x, i) => ({ file, line: yaml.locate(`/tests/cases/${i}`).line }));
    // Cases in a tests file (`tests.cases: file://…`): their lines are in that file, as the loader
    // points its diagnostics (src/config/tests-file.ts).
    const path = ref.slice(FILE_PREFIX.length);
    const parsed = parseTestsFile(path, await readFile(join(root, path), 'utf8'));
    if ('problems' in parsed) return [];
    return Array.from({ length: count }, (_x, i) => ({
      file: path,
      line: parsed.file.locate(`/${i}`).line,
    }));
  } catch {
    return [];
  }
}

/**
 * The grader's route when switchyard.yaml names a grader model alias (`eval.grader`), read from the
 * base commit when there is one — like the gate, a change must not pick its own judge — else from
 * the head. Undefined keeps the default grader on the grading endpoint.
 */
export function graderRoute(
  head: Project,
  base: Project | undefined,
  endpoint: ModelEndpoint,
): GraderRoute | undefined {
  const judge = base ?? head;
  const alias = judge.settings.eval.grader;
  const pin = alias === undefined ? undefined : judge.models.get(alias);
  if (alias === undefined || !pin) return undefined;
  return { alias, route: routeFor(pin, pin.snapshot, endpoint) };
}

/** The model that grades, by alias, and where it is called. */
export interface GraderRoute {
  alias: string;
  route: ModelRoute;
}

export async function runEval(options: RunEvalOptions): Promise<EvalRun> {
  const started = performance.now();
  const { head, endpoint } = options;
  const grader = options.graderModel === undefined ? graderRoute(head, options.base, endpoint) : undefined;
  const graderModel = grader ? grader.route.providerId : (options.graderModel ?? DEFAULT_GRADER_MODEL);
  const embeddingModel = options.embeddingModel ?? DEFAULT_EMBEDDING_MODEL;
  const routeIn = (project: Project) => (model: string, snapshot: string) =>
    routeFor(project.models.get(model), snapshot, endpoint);
  // Each side reads its own files: the head the working tree, the base its commit (docs/evaluation.md).
  const files = await loadSideFiles(head, options.base);
  const contextIn = (project: Project): CaseContext => ({
    files: project === head ? files.head : files.base,
    endpointOf: (model, snapshot) => routeIn(project)(model, snapshot).endpointKey,
    // With a grader alias the key names its route and, for embeddings, the grading endpoint.
    graderEndpoint: grader
      ? `${grader.route.endpointKey}|${endpoint.offline ? 'offline' : endpoint.baseUrl}`
      : endpoint.offline
        ? 'offline'
        : endpoint.baseUrl,
    graderModel,
    embeddingModel,
    evaluator: promptfooVersion(),
  });
  const headTargets = affectedTargets(head, options.base, files);
  // What the base serves for each changed prompt, so the report can show base → head deltas.
  const baseTargets = options.base ? attachBaselines(head, options.base, headTargets, files) : [];
  const targets = [...headTargets, ...baseTargets];
  const shard = options.shard ?? { index: 1, count: 1 };
  const baseCases = options.base
    ? buildCases(options.base, baseTargets, contextIn(options.base)).map((c) => ({ ...c, base: true }))
    : [];
  const cases = shardCases([...buildCases(head, headTargets, contextIn(head)), ...baseCases], shard);
  const route = (c: EvalCase & { base?: boolean }) =>
    routeIn(c.base && options.base ? options.base : head)(c.model, c.snapshot);
  const cache = options.cache === undefined ? openCaseCache(cacheDir(head.root)) : options.cache;

  const results = new Map<string, CaseResult>();
  let toRun: EvalCase[] = [];
  for (const c of cases) {
    const unusable = route(c).unusable;
    if (c.missing.length > 0 || unusable !== undefined) {
      const why = [...c.missing, ...(unusable === undefined ? [] : [unusable])];
      results.set(c.id, errorResult(c, `cannot run: ${why.join('; ')}`, 0));
      continue;
    }
    const hit = cache ? await cache.get(c.key) : undefined;
    if (hit)
      results.set(c.id, {
        ...hit,
        id: c.id,
        target: c.target,
        index: c.index,
        description: c.description,
        // Priced now, from the cached token counts: a price change never leaves a stale cost.
        cost: hit.tokens ? (costOf(route(c).price, hit.tokens.prompt, hit.tokens.completion) ?? null) : null,
        cached: true,
        attempts: 0,
      });
    else toRun.push(c);
  }
  let done = results.size;
  options.onProgress?.(done, cases.length);

  const retries = Math.max(0, options.retries ?? DEFAULT_RETRIES);
  const backoffMs = options.backoffMs ?? DEFAULT_BACKOFF_MS;
  const attempts = new Map<string, number>();
  if (toRun.length > 0) {
    const promptfoo = await loadPromptfoo(head.root, endpoint);
    for (let attempt = 0; toRun.length > 0; attempt++) {
      if (attempt > 0) await sleep(backoffDelay(attempt - 1, { baseMs: backoffMs, jitter: 'equal' }));
      const batch = await runPromptfooBatch(promptfoo, {
        cases: toRun,
        routeOf: (c) => route(c),
        grading: { endpoint, graderModel, embeddingModel, ...(grader ? { grader: grader.route } : {}) },
        concurrency: options.concurrency,
        codeDir: join(head.root, '.switchyard', 'eval-code'),
      });
      const again: EvalCase[] = [];
      for (const c of toRun) {
        const got = batch.get(c.id) as CaseResult;
        // A case refused before any call (attempts 0) counts no call and is not retried.
        const called = got.attempts > 0;
        const n = (attempts.get(c.id) ?? 0) + (called ? 1 : 0);
        attempts.set(c.id, n);
        const r = { ...got, attempts: n };
        results.set(c.id, r);
        if (r.status === 'error' && called && attempt < retries) {
          again.push(c);
          continue;
        }
        // A verdict (pass or fail) is a fact about this content and is kept; an error is not.
        if (cache && r.status !== 'error') await cache.put(c.key, r);
        options.onProgress?.(++done, cases.length);
      }
      toRun = again;
    }
  }

  const lines = new Map<string, Array<{ file: string; line: number }>>();
  for (const t of headTargets) lines.set(t.id, await caseLines(head.root, t.file, t.caseCount));
  const all = cases
    .map((c) => {
      const r = results.get(c.id);
      const at = lines.get(c.target)?.[c.index];
      const t = headTargets.find((x) => x.id === c.target);
      if (!r || !at) return r;
      return at.file === t?.file ? { ...r, line: at.line } : { ...r, line: at.line, file: at.file };
    })
    .filter((r): r is CaseResult => r !== undefined);
  const endpoints: Record<string, string> = {};
  for (const c of cases) endpoints[c.model] ??= route(c).label;
  return {
    kind: 'switchyard.eval-run',
    format: 1,
    // Any answer from the offline server (grading, or a model without its key) marks the run offline.
    offline: endpoint.offline || cases.some((c) => route(c).offline),
    endpoint: endpoint.label,
    endpoints,
    base: options.baseRef,
    shard,
    targets,
    cases: all,
    stats: countCases(all),
    durationMs: Math.round(performance.now() - started),
  };
}

/** Cases an eval of `base → head` runs (head targets and the baselines of changed prompts), before sharding and caching. */
export async function evalCaseCount(head: Project, base: Project | undefined): Promise<number> {
  const files = await loadSideFiles(head, base);
  const targets = affectedTargets(head, base, files);
  const baselines = base ? attachBaselines(head, base, targets, files) : [];
  return [...targets, ...baselines].reduce((n, t) => n + t.caseCount, 0);
}
