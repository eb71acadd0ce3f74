/**
 * Change detection: which prompt versions, on which model snapshots, a change affects.
 *
 * With a base configuration a version is evaluated when it is new or edited, when it becomes
 * `active`, when the pin of its model changes (every active/draft version on that model), when a
 * model rollout towards a new snapshot starts, widens or changes target (every active version on
 * that model, against the rollout's snapshot), and when an experiment that serves it starts or
 * changes. Without a base (a first run, or `switchyard eval` outside a PR) every active and draft
 * version with tests is evaluated on its pin's snapshot, plus the snapshots of running rollouts.
 */
import type { ModelRolloutResource, Project, PromptVersion } from '../config/types.ts';
import { sameContent } from './content.ts';
import { withFileContents, type FileContents } from './file-refs.ts';

/** How a target's pass rate is enforced. */
export type TargetGate =
  /** The version becomes `active` in this change: pass rate ≥ minPassRate or the change is blocked. */
  | 'activation'
  /** The version is already active and serves users on this snapshot: same threshold, same effect. */
  | 'serving'
  /** Draft or deprecated: reported, never blocking. */
  | 'none';

/** One prompt version evaluated against one model snapshot. */
export interface EvalTarget {
  /** `<prompt>@v<version>:<snapshot>` */
  id: string;
  prompt: string;
  version: number;
  status: PromptVersion['status'];
  /** Model alias of the version. */
  model: string;
  snapshot: string;
  /** Repo-relative file of the version. */
  file: string;
  /** Why this target is evaluated, in plain words. */
  reasons: string[];
  gate: TargetGate;
  minPassRate: number;
  /** Number of test cases (before sharding). */
  caseCount: number;
  /** `base`: what the base serves for this prompt, run only to compare against (never gated). */
  side?: 'base';
  /** For a head target: the base target it is compared with, and the prompt's text diff. */
  baseline?: { id: string; diff: string };
}

export function targetId(prompt: string, version: number, snapshot: string): string {
  return `${prompt}@v${version}:${snapshot}`;
}

function contentOf(v: PromptVersion): unknown {
  return { model: v.model, params: v.params ?? null, messages: v.messages, variables: v.variables, tests: v.tests };
}

function rolloutWidens(head: ModelRolloutResource, base: ModelRolloutResource | undefined): boolean {
  if (head.killed || head.percent <= 0) return false;
  if (!base || base.kind !== 'ModelRollout') return true;
  return base.to !== head.to || base.model !== head.model || head.percent > base.percent || base.killed;
}

/** Contents of the `file://` references of each side's tests (`loadFileRefs`). */
export interface SideFiles {
  head: FileContents;
  base: FileContents;
}

/**
 * The targets affected by going from `base` to `head` (all evaluable ones when `base` is undefined).
 * With `files`, a version whose referenced files differ between the sides counts as edited.
 */
export function affectedTargets(head: Project, base: Project | undefined, files?: SideFiles): EvalTarget[] {
  const targets = new Map<string, EvalTarget>();
  const activated = new Set<string>();

  const add = (v: PromptVersion, snapshot: string, reason: string): void => {
    if (v.tests.cases.length === 0) return;
    const id = targetId(v.prompt, v.version, snapshot);
    const existing = targets.get(id);
    if (existing) {
      if (!existing.reasons.includes(reason)) existing.reasons.push(reason);
      return;
    }
    targets.set(id, {
      id,
      prompt: v.prompt,
      version: v.version,
      status: v.status,
      model: v.model,
      snapshot,
      file: head.files.get(`prompt:${v.prompt}@${v.version}`) ?? `prompts/${v.prompt}/v${v.version}.yaml`,
      reasons: [reason],
      gate: 'none',
      minPassRate: v.tests.minPassRate,
      caseCount: v.tests.cases.length,
    });
  };
  const versions = [...head.prompts.values()].flatMap((byVersion) => [...byVersion.values()]);
  const pinSnapshot = (v: PromptVersion): string | undefined => head.models.get(v.model)?.snapshot;

  for (const v of versions) {
    const snapshot = pinSnapshot(v);
    if (snapshot === undefined) continue; // a dangling model reference is a validation error, not ours
    const before = base?.prompts.get(v.prompt)?.get(v.version);
    if (!base) {
      if (v.status !== 'deprecated') add(v, snapshot, 'no base to compare: every active and draft version with tests');
    } else if (!before) {
      if (v.status !== 'deprecated') add(v, snapshot, 'new version');
    } else if (!sameContent(contentOf(before), contentOf(v)) && v.status !== 'deprecated') {
      add(v, snapshot, 'edited');
    } else if (
      files &&
      v.status !== 'deprecated' &&
      !sameContent(contentOf(withFileContents(before, files.base)), contentOf(withFileContents(v, files.head)))
    ) {
      add(v, snapshot, 'a file its tests refer to (file://) changed');
    }
    if (v.status === 'active' && before?.status !== 'active' && base) {
      add(v, snapshot, `becomes active (was ${before ? before.status : 'absent'})`);
      activated.add(targetId(v.prompt, v.version, snapshot));
    }
  }

  for (const pin of head.models.values()) {
    const was = base?.models.get(pin.alias);
    if (!base || !was) continue;
    const changed =
      was.snapshot !== pin.snapshot ||
      !sameContent(was.params ?? null, pin.params ?? null) ||
      !sameContent(was.provider, pin.provider);
    if (!changed) continue;
    const what = was.snapshot !== pin.snapshot ? `${was.snapshot} → ${pin.snapshot}` : 'parameters or provider';
    for (const v of versions) {
      if (v.model === pin.alias && v.status !== 'deprecated')
        add(v, pin.snapshot, `model pin ${pin.alias} changed (${what})`);
    }
  }

  for (const r of head.rollouts.values()) {
    if (r.kind !== 'ModelRollout') continue;
    const was = base?.rollouts.get(r.flag);
    if (base && !rolloutWidens(r, was?.kind === 'ModelRollout' ? was : undefined)) continue;
    if (r.killed || r.percent <= 0) continue;
    for (const v of versions) {
      if (v.model === r.model && v.status === 'active') {
        add(v, r.to, `model rollout ${r.flag} sends ${r.percent}% of new ${r.model} conversations to ${r.to}`);
      }
    }
  }

  for (const e of head.experiments.values()) {
    if (e.status !== 'running') continue;
    const was = base?.experiments.get(e.experiment);
    if (base && was && sameContent(was, e)) continue;
    for (const [variant, { version }] of Object.entries(e.variants)) {
      const v = head.prompts.get(e.prompt)?.get(version);
      const snapshot = v ? pinSnapshot(v) : undefined;
      if (v && snapshot) add(v, snapshot, `experiment ${e.experiment} serves it as '${variant}'`);
    }
  }

  for (const t of targets.values()) {
    t.gate = activated.has(t.id) ? 'activation' : t.status === 'active' ? 'serving' : 'none';
  }
  return [...targets.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
