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
  return [...settingsChanges(base, head), ...rolloutChanges(base, head), ...experimentChanges(base, head)];
}

/** Where a threshold lives and how the report names it. */
interface ThresholdSite {
  subject: string;
  file: string;
  /** JSON pointer of the threshold in `file`. */
  pointer: string;
  /** How the report names the threshold (`defaults.minPassRate`, `<name>: minSamples`). */
  what: string;
}

/**
 * The change of one threshold, or nothing when it did not move or one side lacks it. Every floor
 * clause of {@link policyChanges} goes through here, so "which way loosens" is decided once.
 */
function thresholdChange(
  site: ThresholdSite,
  before: number | undefined,
  after: number | undefined,
  higherIsStricter: boolean,
): PolicyChange[] {
  if (before === undefined || after === undefined || before === after) return [];
  const loosened = higherIsStricter ? after < before : after > before;
  return [
    {
      subject: site.subject,
      file: site.file,
      pointer: site.pointer,
      direction: loosened ? 'loosened' : 'tightened',
      text: `${site.what}: ${before} → ${after}`,
    },
  ];
}

/**
 * The changes of several floors (higher is stricter) that sit side by side in one object, such as
 * a shadow gate's two similarities or a canary's analysis bounds: `pointer` and `what` are the
 * prefixes the field name is appended to.
 */
function floorChanges<K extends string>(
  site: ThresholdSite,
  fields: readonly K[],
  before: Record<K, number>,
  after: Record<K, number>,
): PolicyChange[] {
  return fields.flatMap((field) =>
    thresholdChange(
      { ...site, pointer: `${site.pointer}/${field}`, what: `${site.what}.${field}` },
      before[field],
      after[field],
      true,
    ),
  );
}

const SHADOW_GATE_FIELDS = ['minAvgSimilarity', 'minMinSimilarity'] as const;
const CANARY_ANALYSIS_FIELDS = ['revertBelow', 'advanceAbove', 'minSamples'] as const;

/** Project-wide thresholds in `switchyard.yaml`: the floors and the first-stage ceiling. */
function settingsChanges(base: Project, head: Project): PolicyChange[] {
  const bs = base.settings;
  const hs = head.settings;
  const site = (pointer: string, what: string): ThresholdSite => ({
    subject: 'switchyard',
    file: 'switchyard.yaml',
    pointer,
    what,
  });
  return [
    ...thresholdChange(
      site('/defaults/minPassRate', 'defaults.minPassRate'),
      bs.defaults.minPassRate,
      hs.defaults.minPassRate,
      true,
    ),
    ...floorChanges(
      site('/defaults/shadowGate', 'defaults.shadowGate'),
      SHADOW_GATE_FIELDS,
      bs.defaults.shadowGate,
      hs.defaults.shadowGate,
    ),
    // The first-stage share is a ceiling: a higher one allows a bigger first exposure.
    ...thresholdChange(
      site('/gate/firstStagePercent', 'gate.firstStagePercent'),
      bs.gate?.firstStagePercent ?? DEFAULT_FIRST_STAGE_PERCENT,
      hs.gate?.firstStagePercent ?? DEFAULT_FIRST_STAGE_PERCENT,
      false,
    ),
  ];
}

/** Thresholds of rollouts present on both sides with the same kind: stages, shadow gate, analysis. */
function rolloutChanges(base: Project, head: Project): PolicyChange[] {
  const out: PolicyChange[] = [];
  for (const [name, after] of head.rollouts) {
    const before = base.rollouts.get(name);
    if (!before || before.kind !== after.kind) continue;
    const file = head.files.get(`rollout:${name}`) ?? `rollouts/${name}.yaml`;
    if ('stages' in before && 'stages' in after) out.push(...stageChanges(name, file, before.stages, after.stages));
    if (before.kind === 'ModelRollout')
      out.push(
        ...floorChanges(
          { subject: name, file, pointer: '/shadow/gate', what: `${name}: shadow.gate` },
          SHADOW_GATE_FIELDS,
          before.shadow.gate,
          (after as ModelRolloutResource).shadow.gate,
        ),
      );
    if (before.kind === 'Canary')
      out.push(
        ...floorChanges(
          { subject: name, file, pointer: '/analysis', what: `${name}: analysis` },
          CANARY_ANALYSIS_FIELDS,
          before.analysis,
          (after as CanaryResource).analysis,
        ),
      );
  }
  return out;
}

/** A stage list that drops a stage loosens (a bigger step); one that only adds stages tightens. */
function stageChanges(name: string, file: string, before: readonly number[], after: readonly number[]): PolicyChange[] {
  const dropped = before.filter((s) => !after.includes(s));
  const text = `${name}: stages [${before.join(', ')}] → [${after.join(', ')}]`;
  if (dropped.length > 0)
    return [
      {
        subject: name,
        file,
        pointer: '/stages',
        direction: 'loosened',
        text: `${text} (drops ${dropped.join(', ')})`,
      },
    ];
  if (after.length > before.length) return [{ subject: name, file, pointer: '/stages', direction: 'tightened', text }];
  return [];
}

/** Each experiment's `minSamples` floor, for experiments present on both sides. */
function experimentChanges(base: Project, head: Project): PolicyChange[] {
  return [...head.experiments].flatMap(([id, after]) => {
    const before = base.experiments.get(id);
    if (!before) return [];
    const file = head.files.get(`experiment:${id}`) ?? `experiments/${id}.yaml`;
    return thresholdChange(
      { subject: id, file, pointer: '/minSamples', what: `${id}: minSamples` },
      before.minSamples,
      after.minSamples,
      true,
    );
  });
}

/**
 * The pass rate a prompt version must reach: its own bar, never below the project floor nor below
 * the bar of the version the base serves for that prompt (a new version cannot lower its own gate).
 */
export function effectiveMinPassRate(policy: GatePolicy, prompt: string, own: number): number {
  return Math.max(policy.minPassRate, policy.promptBars.get(prompt) ?? 0, own);
}
