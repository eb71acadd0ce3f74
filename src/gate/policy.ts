/**
 * The gate's policy: every threshold that decides pass or fail, read from the BASE commit. A change
 * may tighten a threshold (the stricter of base and head applies); a change that loosens one is a
 * policy change — listed first in the report, judged under the base policy, and blocked when it
 * comes with changes users would see (`E_GATE_POLICY_MIXED`).
 */
import type { CanaryResource, ModelRolloutResource, Project, ShadowGate } from '../config/types.ts';

/** Largest share (percent) a new resource, a revival or an unstaged change may expose in one change. */
export const DEFAULT_FIRST_STAGE_PERCENT = 10;

/**
 * The stages (percent) of answers that have no stage list of their own, such as an experiment's
 * variants: after a first exposure of at most `gate.firstStagePercent`, one of these per change.
 */
export const UNSTAGED_STAGES: readonly number[] = [1, 5, 10, 25, 50, 100];

export interface GatePolicy {
  /** `base`: read from the base commit (a pull request); `head`: no base was given. */
  source: 'base' | 'head';
  /** Project floor for every prompt version's pass rate (`defaults.minPassRate`). */
  minPassRate: number;
  /** Project floor for every shadow comparison (`defaults.shadowGate`). */
  shadowGate: ShadowGate;
  /** `gate.firstStagePercent`: see {@link DEFAULT_FIRST_STAGE_PERCENT}. */
  firstStagePercent: number;
  /** Per prompt: the bar (`tests.minPassRate`) of the base's active version; a new version may not ask less. */
  promptBars: Map<string, number>;
}

/** The policy a change is judged under: the base's when there is a base, else the head's own. */
export function gatePolicy(base: Project | undefined, head: Project): GatePolicy {
  const from = base ?? head;
  const s = from.settings;
  return {
    source: base ? 'base' : 'head',
    minPassRate: s.defaults.minPassRate,
    shadowGate: { ...s.defaults.shadowGate },
    firstStagePercent: s.gate?.firstStagePercent ?? DEFAULT_FIRST_STAGE_PERCENT,
    promptBars: new Map(
      base
        ? [...base.prompts].flatMap(([name, versions]) =>
            [...versions.values()]
              .filter((v) => v.status === 'active')
              .map((v) => [name, v.tests.minPassRate] as const),
          )
        : [],
    ),
  };
}

/** A threshold that differs between base and head. */
export interface PolicyChange {
  subject: string;
  file: string;
  /** JSON pointer of the threshold in `file`. */
  pointer: string;
  direction: 'loosened' | 'tightened';
  text: string;
}

/** The stricter of two shadow gates, field by field. */
export function stricterShadowGate(a: ShadowGate, b: ShadowGate | undefined): ShadowGate {
  if (!b) return { ...a };
  return {
    minAvgSimilarity: Math.max(a.minAvgSimilarity, b.minAvgSimilarity),
    minMinSimilarity: Math.max(a.minMinSimilarity, b.minMinSimilarity),
  };
}

/**
 * Every threshold that moved between base and head. `higherIsStricter` says which way tightens.
 * Removing a stage from an existing rollout's list loosens (it allows a bigger step).
 */
export function policyChanges(base: Project, head: Project): PolicyChange[] {
  const out: PolicyChange[] = [];
  const cmp = (
    subject: string,
    file: string,
    pointer: string,
    what: string,
    before: number | undefined,
    after: number | undefined,
    higherIsStricter: boolean,
  ): void => {
    if (before === undefined || after === undefined || before === after) return;
    const loosened = higherIsStricter ? after < before : after > before;
    out.push({
      subject,
      file,
      pointer,
      direction: loosened ? 'loosened' : 'tightened',
      text: `${what}: ${before} → ${after}`,
    });
  };
  const bs = base.settings;
  const hs = head.settings;
  cmp(
    'switchyard',
    'switchyard.yaml',
    '/defaults/minPassRate',
    'defaults.minPassRate',
    bs.defaults.minPassRate,
    hs.defaults.minPassRate,
    true,
  );
  cmp(
    'switchyard',
    'switchyard.yaml',
    '/defaults/shadowGate/minAvgSimilarity',
    'defaults.shadowGate.minAvgSimilarity',
    bs.defaults.shadowGate.minAvgSimilarity,
    hs.defaults.shadowGate.minAvgSimilarity,
    true,
  );
  cmp(
    'switchyard',
    'switchyard.yaml',
    '/defaults/shadowGate/minMinSimilarity',
    'defaults.shadowGate.minMinSimilarity',
    bs.defaults.shadowGate.minMinSimilarity,
    hs.defaults.shadowGate.minMinSimilarity,
    true,
  );
  cmp(
    'switchyard',
    'switchyard.yaml',
    '/gate/firstStagePercent',
    'gate.firstStagePercent',
    bs.gate?.firstStagePercent ?? DEFAULT_FIRST_STAGE_PERCENT,
    hs.gate?.firstStagePercent ?? DEFAULT_FIRST_STAGE_PERCENT,
    false,
  );

  for (const [name, after] of head.rollouts) {
    const before = base.rollouts.get(name);
    if (!before || before.kind !== after.kind) continue;
    const file = head.files.get(`rollout:${name}`) ?? `rollouts/${name}.yaml`;
    if ('stages' in before && 'stages' in after) {
      const dropped = before.stages.filter((s) => !after.stages.includes(s));
      if (dropped.length > 0)
        out.push({
          subject: name,
          file,
          pointer: '/stages',
          direction: 'loosened',
          text: `${name}: stages [${before.stages.join(', ')}] → [${after.stages.join(', ')}] (drops ${dropped.join(', ')})`,
        });
      else if (after.stages.length > before.stages.length)
        out.push({
          subject: name,
          file,
          pointer: '/stages',
          direction: 'tightened',
          text: `${name}: stages [${before.stages.join(', ')}] → [${after.stages.join(', ')}]`,
        });
    }
    if (before.kind === 'ModelRollout') {
      const a = after as ModelRolloutResource;
      cmp(
        name,
        file,
        '/shadow/gate/minAvgSimilarity',
        `${name}: shadow.gate.minAvgSimilarity`,
        before.shadow.gate.minAvgSimilarity,
        a.shadow.gate.minAvgSimilarity,
        true,
      );
      cmp(
        name,
        file,
        '/shadow/gate/minMinSimilarity',
        `${name}: shadow.gate.minMinSimilarity`,
        before.shadow.gate.minMinSimilarity,
        a.shadow.gate.minMinSimilarity,
        true,
      );
    }
    if (before.kind === 'Canary') {
      const a = after as CanaryResource;
      cmp(
        name,
        file,
        '/analysis/revertBelow',
        `${name}: analysis.revertBelow`,
        before.analysis.revertBelow,
        a.analysis.revertBelow,
        true,
      );
      cmp(
        name,
        file,
        '/analysis/advanceAbove',
        `${name}: analysis.advanceAbove`,
        before.analysis.advanceAbove,
        a.analysis.advanceAbove,
        true,
      );
      cmp(
        name,
        file,
        '/analysis/minSamples',
        `${name}: analysis.minSamples`,
        before.analysis.minSamples,
        a.analysis.minSamples,
        true,
      );
    }
  }
  for (const [id, after] of head.experiments) {
    const before = base.experiments.get(id);
    if (!before) continue;
    cmp(
      id,
      head.files.get(`experiment:${id}`) ?? `experiments/${id}.yaml`,
      '/minSamples',
      `${id}: minSamples`,
      before.minSamples,
      after.minSamples,
      true,
    );
  }
  return out;
}

/**
 * The pass rate a prompt version must reach: its own bar, never below the project floor nor below
 * the bar of the version the base serves for that prompt (a new version cannot lower its own gate).
 */
export function effectiveMinPassRate(policy: GatePolicy, prompt: string, own: number): number {
  return Math.max(policy.minPassRate, policy.promptBars.get(prompt) ?? 0, own);
}
