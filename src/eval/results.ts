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

export interface CaseResult {
  id: string;
  target: string;
  index: number;
  description: string;
  key: string;
  pass: boolean;
  score: number;
  /** Set when the case could not be run (provider error, missing variable). Errors count as failures. */
  error: string | null;
  output: string;
  assertions: AssertionResult[];
  /** Served from the content-keyed cache instead of calling the model. */
  cached: boolean;
}

export interface EvalRun {
  kind: 'switchyard.eval-run';
  format: 1;
  /** Answers came from the offline model server. */
  offline: boolean;
  endpoint: string;
  /** The base ref compared against, or null when every evaluable version was run. */
  base: string | null;
  shard: { index: number; count: number };
  targets: EvalTarget[];
  cases: CaseResult[];
  stats: { cases: number; executed: number; cached: number; passed: number; failed: number; errors: number };
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
    const passed = mine.filter((c) => c.pass).length;
    const passRate = mine.length === 0 ? 0 : passed / mine.length;
    const complete = mine.length === target.caseCount;
    const ok = target.gate === 'none' || (complete && passRate >= target.minPassRate);
    return { target, passed, evaluated: mine.length, passRate, complete, ok };
  });
}
