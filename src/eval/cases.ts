/**
 * Expands targets into concrete test cases (rendered messages, merged parameters, assertions) with
 * a content key for the cache, and slices them into deterministic shards.
 */
import type { Assertion, ChatMessage, JsonValue, ModelParams, Project, TestOptions } from '../config/types.ts';
import { resolveFileRefs } from './file-refs.ts';
import { contentKey } from './content.ts';
import { effectiveRequest } from './effective-request.ts';
import type { EvalTarget } from './targets.ts';

/**
 * Bump when the meaning of a cached result changes (e.g. the offline model's behaviour). 3: results
 * matched to cases by id (verdicts cached before could sit under another case's key).
 */
export const CACHE_FORMAT = 3;

export interface EvalCase {
  /** `<target id>#<case index>` — stable across runs while the change set is the same. */
  id: string;
  target: string;
  index: number;
  description: string;
  vars: Record<string, JsonValue>;
  assert: Assertion[];
  /** promptfoo test options (`transform`), defaultTest's merged under the case's. */
  options: TestOptions;
  /** Model alias of the version (its pin decides where the case is sent). */
  model: string;
  snapshot: string;
  params: ModelParams;
  messages: ChatMessage[];
  /**
   * Source of each `file://` module the case runs as code (a `transform`, a javascript/python
   * assertion), read from the case's own side; promptfoo-batch.ts runs these texts, not the paths.
   */
  code: Record<string, string>;
  /** Placeholders without a value and unreadable `file://` references; such a case errors, unsent. */
  missing: string[];
  /** Content key: sha256 of everything the result depends on. */
  key: string;
}

/** What, besides the case itself, a result depends on: where answers come from and who grades them. */
export interface CaseContext {
  /** Where a model's snapshot is served (`offline`, or provider type and URL): part of the key. */
  endpointOf(model: string, snapshot: string): string;
  /** Where the grader and embedder are served. */
  graderEndpoint: string;
  graderModel: string;
  embeddingModel: string;
  /** Contents of the `file://` references of the tests (see file-refs.ts). */
  files?: ReadonlyMap<string, JsonValue | Error>;
  /** What grades (`promptfoo@<version>`, promptfoo-version.ts): another version may judge differently. */
  evaluator: string;
}

/** Whether a case asserts on cost (also inside an assertion set): its verdict depends on the price. */
function assertsCost(list: readonly Assertion[]): boolean {
  return list.some((a) =>
    a.type === 'cost' || a.type === 'not-cost'
      ? true
      : Array.isArray((a as { assert?: unknown }).assert) && assertsCost((a as { assert: Assertion[] }).assert),
  );
}

export function buildCases(project: Project, targets: readonly EvalTarget[], context: CaseContext): EvalCase[] {
  const cases: EvalCase[] = [];
  for (const t of targets) {
    const version = project.prompts.get(t.prompt)?.get(t.version);
    if (!version) continue;
    const pin = project.models.get(version.model);
    const grading = {
      endpoint: context.graderEndpoint,
      graderModel: context.graderModel,
      embeddingModel: context.embeddingModel,
    };
    const provider = context.endpointOf(version.model, t.snapshot);
    const defaults = version.tests.defaultTest ?? {};
    version.tests.cases.forEach((c, index) => {
      // promptfoo's defaultTest semantics: case vars over default vars, default assertions first.
      const problems: string[] = [];
      const files = context.files ?? new Map<string, JsonValue | Error>();
      // One walk over everything promptfoo gets from the case (file-refs.ts): what it resolves is
      // what the key holds, so no `file://` field can change a verdict behind the cache's back.
      const code = new Map<string, string>();
      const { vars, assert, options } = resolveFileRefs(
        {
          vars: { ...(defaults.vars ?? {}), ...c.vars },
          assert: [...(defaults.assert ?? []), ...(c.assert ?? [])],
          options: { ...(defaults.options ?? {}), ...(c.options ?? {}) } as TestOptions,
        },
        files,
        problems,
        code,
      );
      const sources = Object.fromEntries([...code].sort(([a], [b]) => (a < b ? -1 : 1)));
      // Messages and parameters exactly as the runtime serves them (effective-request.ts).
      const rendered = effectiveRequest(pin, version, vars);
      const { messages, params } = rendered;
      const missing = [...rendered.missing.map((name) => `variable '${name}' has no value`), ...problems];
      // vars count on their own: assertions can use them ({{var}} in a value or a javascript check).
      // Every input that can change a verdict is here; test/eval/cache-key.test.ts lists them.
      const price = project.models.get(version.model)?.prices?.[t.snapshot];
      const key = contentKey({
        format: CACHE_FORMAT,
        evaluator: context.evaluator,
        // A cost verdict depends on the price; the cost column is recomputed on a hit (run-eval.ts).
        price: assertsCost(assert) ? (price ?? null) : undefined,
        provider,
        grading,
        snapshot: t.snapshot,
        params,
        messages,
        vars,
        assert,
        options,
        code: sources,
      });
      cases.push({
        id: `${t.id}#${index}`,
        target: t.id,
        index,
        description: c.description ?? `case ${index + 1}`,
        vars,
        assert,
        options,
        model: version.model,
        snapshot: t.snapshot,
        params,
        messages,
        code: sources,
        missing,
        key,
      });
    });
  }
  return cases;
}

export interface Shard {
  /** 1-based index. */
  index: number;
  count: number;
}

/** Parses `i/n` (1 ≤ i ≤ n). Returns undefined for malformed input. */
export function parseShard(text: string): Shard | undefined {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) return undefined;
  const index = Number(m[1]);
  const count = Number(m[2]);
  return count >= 1 && index >= 1 && index <= count ? { index, count } : undefined;
}

/** Round-robin over cases sorted by id: every case lands in exactly one shard, sizes differ by ≤ 1. */
export function shardCases<T extends { id: string }>(cases: readonly T[], shard: Shard): T[] {
  const sorted = [...cases].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return sorted.filter((_c, i) => i % shard.count === shard.index - 1);
}
