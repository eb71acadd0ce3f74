/**
 * The result documents of `switchyard eval` (one per shard; `report` merges them) and the pure
 * functions that judge them against the gates.
 */
import type { EvalTarget } from './targets.ts';

export interface AssertionResult {
  type: string;
  pass: boolean;
  score: number;
  reason: string;
}

/**
 * `pass`: every assertion held. `fail`: the model answered and an assertion said no. `error`: no
 * verdict — the provider or the harness failed (after retries), or a variable had no value.
 */
export type CaseStatus = 'pass' | 'fail' | 'error';

export interface CaseTokens {
  prompt: number;
  completion: number;
  total: number;
}

export interface CaseResult {
  id: string;
  target: string;
  index: number;
  description: string;
  key: string;
  status: CaseStatus;
  /** `status === 'pass'` (kept for readers of older result files). */
  pass: boolean;
  score: number;
  /** Why the case errored (status `error` only); assertion failures are in `assertions`. */
  error: string | null;
  output: string;
  /** Every assertion of the case with its verdict and reason (failed ones are all listed). */
  assertions: AssertionResult[];
  /** Served from the content-keyed cache instead of calling the model. */
  cached: boolean;
  /** Token usage of the model call under test (null when unknown, e.g. errored). */
  tokens: CaseTokens | null;
  latencyMs: number | null;
  /** USD of the model call under test, from the model YAML's prices (null without a price). */
  cost: number | null;
  /** Calls of the model under test for this case in this run (0 when cached or not run; > 1 after retries). */
  attempts: number;
  /** 1-based line of the case (for annotations), when known: in `file`, else the version file. */
  line?: number;
  /** The tests file the case is written in, when not its version file (`tests.cases: file://…`). */
  file?: string;
}

export interface EvalStats {
  cases: number;
  /** Cases sent to a model in this run (not from the cache, at least one call). */
  executed: number;
  cached: number;
  /**
   * Cases that errored before any call — a variable without a value, an unreadable file, a model
   * that cannot be called — neither run nor cached; `executed + cached + notRun = cases`.
   */
  notRun: number;
  passed: number;
  failed: number;
  errors: number;
  /**
   * Calls of the models under test in this run, retries included. Grader and embedding calls are
   * not in it (promptfoo does not report them per case); hence not called "requests".
   */
  modelCalls: number;
}

/** Counts of a list of case results (pass / fail / error are disjoint and sum to `cases`). */
export function countCases(cases: readonly CaseResult[]): EvalStats {
  const called = (r: CaseResult) => (r.attempts ?? 0) > 0;
  return {
    cases: cases.length,
    executed: cases.filter((r) => !r.cached && called(r)).length,
    cached: cases.filter((r) => r.cached).length,
    notRun: cases.filter((r) => !r.cached && !called(r)).length,
    passed: cases.filter((r) => statusOf(r) === 'pass').length,
    failed: cases.filter((r) => statusOf(r) === 'fail').length,
    errors: cases.filter((r) => statusOf(r) === 'error').length,
    modelCalls: cases.reduce((n, r) => n + (r.attempts ?? 0), 0),
  };
}

/** The status of a result, also for result files written before `status` existed. */
export function statusOf(r: Pick<CaseResult, 'pass' | 'error'> & { status?: CaseStatus }): CaseStatus {
  return r.status ?? (r.pass ? 'pass' : r.error !== null ? 'error' : 'fail');
}

export interface EvalRun {
  kind: 'switchyard.eval-run';
  format: 1;
  /** Answers came from the offline model server. */
  offline: boolean;
  endpoint: string;
  /** Where each evaluated model's answers came from (alias → origin). */
  endpoints?: Record<string, string>;
  /** The base ref compared against, or null when every evaluable version was run. */
  base: string | null;
  shard: { index: number; count: number };
  targets: EvalTarget[];
  cases: CaseResult[];
  stats: EvalStats;
  durationMs: number;
}

export interface TargetVerdict {
  target: EvalTarget;
  passed: number;
  /** Cases with a result (may be fewer than target.caseCount when shards are missing). */
  evaluated: number;
  passRate: number;
  complete: boolean;
  /** False only when the gate applies and the pass rate is below minPassRate or results are missing. */
  ok: boolean;
}

/** Merges shard runs: targets by id, cases by id (first wins). Throws nothing; mismatches show as incomplete. */
export function mergeRuns(runs: readonly EvalRun[]): { targets: EvalTarget[]; cases: CaseResult[] } {
  const targets = new Map<string, EvalTarget>();
  const cases = new Map<string, CaseResult>();
  for (const run of runs) {
    for (const t of run.targets) if (!targets.has(t.id)) targets.set(t.id, t);
    for (const c of run.cases) if (!cases.has(c.id)) cases.set(c.id, c);
  }
  const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  return { targets: [...targets.values()].sort(byId), cases: [...cases.values()].sort(byId) };
}

/** Pass rate of each target and whether its gate holds. */
export function judgeTargets(targets: readonly EvalTarget[], cases: readonly CaseResult[]): TargetVerdict[] {
  return targets.map((target) => {
    const mine = cases.filter((c) => c.target === target.id);
    const passed = mine.filter((c) => statusOf(c) === 'pass').length;
    const passRate = mine.length === 0 ? 0 : passed / mine.length;
    const complete = mine.length === target.caseCount;
    const ok = target.gate === 'none' || (complete && passRate >= target.minPassRate);
    return { target, passed, evaluated: mine.length, passRate, complete, ok };
  });
}
