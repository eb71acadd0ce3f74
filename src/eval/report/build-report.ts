/** Assembles the report from the pieces each stage produced (pure). */
import type { Diagnostic } from '../../config/diagnostics.ts';
import { BASE_PREFIX } from '../baselines.ts';
import { judgeTargets, mergeRuns, statusOf, type EvalRun } from '../results.ts';
import { metricsOf } from './metrics.ts';
import type { ConfigChange } from '../semantic-diff.ts';
import type { ShadowRun } from '../shadow.ts';
import { similarityHistogram } from './similarity-histogram.ts';
import { REPORT_FORMAT, type Report, type ReportBundle, type ReportShadow, type ReportTarget } from './model.ts';
import type { ReportPlan } from './plan.ts';
import type { GateVerdict, ReportThresholds } from '../../gate/index.ts';

export interface ReportInputs {
  project: string;
  base: string | null;
  commit: string | null;
  changes: ConfigChange[];
  /** One run per shard; empty when eval did not run. */
  evalRuns: EvalRun[];
  shadow: ShadowRun | undefined;
  findings: { errors: Diagnostic[]; warnings: Diagnostic[] };
  bundles: ReportBundle[];
  /**
   * What the change requires evidence for (`planReport(head, base)`); null when the head project
   * could not be loaded (validation errors already block). Every gated target and blocking
   * comparison in the plan without a result is a blocker.
   */
  plan: ReportPlan | null;
  /** Divergent pairs kept per comparison. */
  divergent?: number;
  /** Gate thresholds from the base policy; without them the result files' own thresholds apply. */
  thresholds?: ReportThresholds;
  /** The exposure gate's verdict (`judgeChange`); its errors block. */
  gate?: GateVerdict;
  /** The CI run and its artifact, linked from the comment. */
  run?: { url: string; artifact: string } | null;
}

const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;

export function buildReport(inputs: ReportInputs): Report {
  const blockers: string[] = [];
  const { targets, cases } = mergeRuns(inputs.evalRuns);
  const shardCounts = new Set(inputs.evalRuns.map((r) => r.shard.count));
  if (shardCounts.size > 1) blockers.push('E_EVAL_MISSING eval shards disagree on the shard count');
  // A result file cannot relax a gate the change calls for (e.g. eval run against another base).
  const plannedGate = new Map((inputs.plan?.targets ?? []).map((t) => [t.id, t.gate]));
  const gated = targets.map((t) => {
    const gate = plannedGate.get(t.id);
    const raised = inputs.thresholds
      ? { ...t, minPassRate: inputs.thresholds.minPassRate(t.prompt, t.minPassRate) }
      : t;
    return gate !== undefined && gate !== 'none' && t.gate === 'none' ? { ...raised, gate } : raised;
  });
  const verdicts = judgeTargets(gated, cases);
  const baselines = new Map(verdicts.filter((v) => v.target.side === 'base').map((v) => [v.target.id, v]));
  const reportTargets: ReportTarget[] = verdicts
    .filter((v) => v.target.side !== 'base')
    .map((v) => {
      const mine = cases.filter((c) => c.target === v.target.id);
      const base = v.target.baseline ? baselines.get(v.target.baseline.id) : undefined;
      if (!v.ok) {
        blockers.push(
          v.complete
            ? `E_EVAL_GATE ${v.target.prompt} v${v.target.version} on ${v.target.snapshot}: pass rate ${pct(v.passRate)} < ${pct(v.target.minPassRate)} (${v.target.gate} gate)`
            : `E_EVAL_MISSING ${v.target.prompt} v${v.target.version} on ${v.target.snapshot}: only ${v.evaluated} of ${v.target.caseCount} cases have results (missing shard?)`,
        );
      }
      return {
        id: v.target.id,
        prompt: v.target.prompt,
        version: v.target.version,
        snapshot: v.target.snapshot,
        status: v.target.status,
        file: v.target.file,
        reasons: v.target.reasons,
        gate: v.target.gate,
        minPassRate: v.target.minPassRate,
        passed: v.passed,
        evaluated: v.evaluated,
        expected: v.target.caseCount,
        passRate: v.passRate,
        cached: mine.filter((c) => c.cached).length,
        failed: mine.filter((c) => statusOf(c) === 'fail').length,
        errored: mine.filter((c) => statusOf(c) === 'error').length,
        ok: v.ok,
        metrics: metricsOf(mine),
        baseline: base
          ? {
              id: base.target.id,
              version: base.target.version,
              snapshot: base.target.snapshot,
              passed: base.passed,
              evaluated: base.evaluated,
              passRate: base.passRate,
              metrics: metricsOf(cases.filter((c) => c.target === base.target.id)),
            }
          : null,
        diff: base ? (v.target.baseline?.diff ?? null) : null,
        failures: mine
          .filter((c) => statusOf(c) !== 'pass')
          .map((c) => ({
            case: c.id,
            description: c.description,
            output: c.output,
            error: statusOf(c) === 'error' ? (c.error ?? 'no verdict') : null,
            failed: c.assertions.filter((a) => !a.pass).map((a) => `${a.type}: ${a.reason}`),
            line: c.line ?? null,
            ...(c.file === undefined ? {} : { file: c.file }),
          })),
      };
    });
  if (inputs.evalRuns.length === 0) blockers.push('E_EVAL_MISSING no eval results: run `switchyard eval` first');
  const evaluated = new Set(targets.map((t) => t.id));
  for (const planned of inputs.plan?.targets ?? []) {
    if (planned.gate !== 'none' && !evaluated.has(planned.id)) {
      blockers.push(
        `E_EVAL_MISSING ${planned.id}: the change requires this eval (${planned.gate} gate) but there is no result (eval did not run, crashed or used another base)`,
      );
    }
  }
  const plannedShadow = new Map((inputs.plan?.shadow ?? []).map((p) => [p.id, p]));
  const compared = new Set((inputs.shadow?.comparisons ?? []).map((c) => c.id));
  for (const planned of plannedShadow.values()) {
    if (planned.blocking && !compared.has(planned.id)) {
      blockers.push(
        `E_SHADOW_MISSING shadow ${planned.title}: the change requires this comparison but there is no result (shadow did not run, crashed or used another base)`,
      );
    }
  }

  const comparisons: ReportShadow[] = (inputs.shadow?.comparisons ?? []).map((raw) => {
    // The base policy's gate, never looser than what the run used: re-judge the measured similarity.
    const gate = inputs.thresholds?.shadowGate(raw.id, raw.gate) ?? raw.gate;
    const c = inputs.thresholds
      ? {
          ...raw,
          gate,
          passed: raw.passed && raw.cosine.avg > gate.minAvgSimilarity && raw.cosine.min > gate.minMinSimilarity,
        }
      : raw;
    // The plan decides what blocks: a result file cannot downgrade a required comparison to advice.
    if (!c.passed && (c.blocking || plannedShadow.get(c.id)?.blocking === true)) {
      blockers.push(
        `E_SHADOW_GATE shadow ${c.title}: similarity avg ${c.cosine.avg.toFixed(3)} / min ${c.cosine.min.toFixed(3)} does not clear avg > ${c.gate.minAvgSimilarity} and min > ${c.gate.minMinSimilarity}`,
      );
    }
    // Sources are listed once, in the report's `sources`.
    const { pairs: _pairs, sources: _sources, ...rest } = c;
    // The histogram keeps the shape of the full pair list the report drops.
    return {
      ...rest,
      divergent: c.divergent.slice(0, inputs.divergent ?? 3),
      histogram: similarityHistogram(c.pairs.map((p) => p.cosine)),
    };
  });
  if (inputs.findings.errors.length > 0)
    blockers.push(`E_REPORT_CONFIG_INVALID ${inputs.findings.errors.length} validation error(s)`);
  // Gate findings first: they say what users would get, before any test result.
  const gateBlockers = (inputs.gate?.errors ?? []).map((d) => `${d.code} ${d.file}:${d.line}: ${d.message}`);
  blockers.unshift(...gateBlockers);
  for (const b of inputs.bundles)
    if (b.errors.length > 0) blockers.push(`E_BUNDLE_COMPILE bundle for ${b.env} does not compile`);

  // Baseline cases inform the deltas; the counts are about what this change ships.
  const evalCases = cases.filter((c) => !c.target.startsWith(BASE_PREFIX));
  const offline = inputs.evalRuns.some((r) => r.offline) || inputs.shadow?.offline === true;
  const endpoint = inputs.evalRuns[0]?.endpoint ?? inputs.shadow?.endpoint ?? 'none';
  // Live and offline are decided per model: the report names the source of every part.
  const sources: Record<string, string> = {};
  for (const run of inputs.evalRuns) {
    for (const [alias, label] of Object.entries(run.endpoints ?? {})) sources[`model ${alias}`] ??= label;
    sources['grading and embeddings'] ??= run.endpoint;
  }
  if (inputs.shadow) {
    for (const c of inputs.shadow.comparisons) {
      if (!c.sources) continue;
      sources[`shadow ${c.id} (base)`] = c.sources.base;
      sources[`shadow ${c.id} (head)`] = c.sources.head;
    }
    if (inputs.shadow.comparisons.length > 0) sources['shadow scoring'] = inputs.shadow.endpoint;
  }
  return {
    kind: 'switchyard.report',
    format: REPORT_FORMAT,
    verdict: blockers.length === 0 ? 'pass' : 'fail',
    blockers,
    project: inputs.project,
    offline,
    endpoint,
    sources,
    base: inputs.base,
    commit: inputs.commit,
    changes: inputs.changes,
    tests: {
      ran: inputs.evalRuns.length > 0,
      shards: inputs.evalRuns.length,
      targets: reportTargets,
      stats: {
        cases: evalCases.length,
        passed: evalCases.filter((c) => statusOf(c) === 'pass').length,
        failed: evalCases.filter((c) => statusOf(c) === 'fail').length,
        errored: evalCases.filter((c) => statusOf(c) === 'error').length,
        cached: evalCases.filter((c) => c.cached).length,
      },
    },
    shadow: { ran: inputs.shadow !== undefined, embeddingModel: inputs.shadow?.embeddingModel ?? null, comparisons },
    findings: inputs.findings,
    bundles: inputs.bundles,
    ...(inputs.gate
      ? {
          gate: {
            ...inputs.gate,
            policy: {
              source: inputs.gate.policy.source,
              minPassRate: inputs.gate.policy.minPassRate,
              shadowGate: inputs.gate.policy.shadowGate,
              firstStagePercent: inputs.gate.policy.firstStagePercent,
            },
          },
        }
      : {}),
    run: inputs.run ?? null,
  };
}
