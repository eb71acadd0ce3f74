/**
 * The exposure gate: compile base and head for every environment and measure, per subject (a flag,
 * a canary, a model alias's new conversations, a prompt), which share of units gets an answer it
 * did not get before. However the YAML was edited — a stage list rewritten, a pin edited and the
 * rollout deleted, an environment override, a kill undone, a rename, a new resource — only the
 * compiled decision tables count, so every route to the same effect meets the same limit.
 *
 * The limit per answer: a unit may newly get an answer (other than the base's baseline: flag off,
 * the canary's control, the pin's snapshot, the active prompt version) only up to the next stage
 * above the share that answer had on the base — stages from the base's resource (and the head's
 * when they are finer); a share of 0 (new, killed, at 0 %) may go to the first stage, at most
 * `gate.firstStagePercent`; answers without stages of their own (an experiment variant, a prompt
 * left without an active version, a pin edited without a rollout) start at most there and then
 * climb {@link UNSTAGED_STAGES}. The prompt version a change activates is exempt: its
 * tests gate it (activation gate). Shares returning to the baseline (kill, rollback) are free.
 */
import { compileBundle } from '../bundle/compile.ts';
import { percentToPpm, PPM, type BundlePayload } from '../bundle/runtime-format.ts';
import { canonicalJson } from '../config/canonical.ts';
import type { Diagnostic } from '../config/diagnostics.ts';
import type { Project } from '../config/types.ts';
import { newlyGetting, shareOf, split, uniform, valuesOf, changedShare, type Allocation } from './allocation.ts';
import { gateDiagnostic } from './codes.ts';
import type { Locate } from './locate.ts';
import { UNSTAGED_STAGES, type GatePolicy } from './policy.ts';

/** The commit recorded in payloads compiled only to be measured (never published). */
const MEASURE_COMMIT = '0'.repeat(40);

/** One subject in one environment whose answers change. Shares in ppm (1 000 000 = everyone). */
export interface ExposureRow {
  env: string;
  /** `flag:<name>`, `canary:<name>`, `model:<alias>`, `prompt:<name>`. */
  subject: string;
  /** Share of units whose answer differs between base and head. */
  changed: number;
  /** Per answer newly given to someone: the answer, its share before and after, and the limit. */
  answers: ExposureAnswer[];
  ok: boolean;
}

export interface ExposureAnswer {
  value: string;
  baseShare: number;
  headShare: number;
  /** Units that get this answer now and did not before. */
  newly: number;
  /** Largest `newly` the rules allow (PPM when the answer is exempt). */
  allowed: number;
  /** Where the limit comes from, in words. */
  rule: string;
}

interface Subject {
  allocation: Allocation;
  baseline: string;
  /** Stages (percent) of the resource that governs the subject, when it has stages. */
  stages: number[] | null;
  /** Answers the rules do not limit (the version a change activates: its tests gate it). */
  exempt: Set<string>;
  /** Where a finding points: file and pointer. */
  at: { file: string; pointer: string };
}

type Subjects = Map<string, Subject>;

function compiled(project: Project, env: string): BundlePayload | undefined {
  if (!project.settings.environments.some((e) => e.name === env)) return undefined;
  return compileBundle(project, { env, commit: MEASURE_COMMIT }).value?.payload;
}

const fileOf = (project: Project, key: string, fallback: string) => project.files.get(key) ?? fallback;

/**
 * What places a unit: the seed and the context key hashed with it. Another `unit` (userId →
 * sessionId) hashes other strings, so it reshuffles everyone exactly like a new seed.
 */
const bucketing = (seed: string, unit: string): string => JSON.stringify([seed, unit]);

/** The subjects of one compiled payload, as the runtime resolves them. */
function subjectsOf(p: BundlePayload, project: Project, env: string): Subjects {
  const out: Subjects = new Map();
  const envPointer = (name: string, field: string): string => {
    const r = project.rollouts.get(name);
    return r && 'environments' in r && r.environments?.[env] && field in r.environments[env]!
      ? `/environments/${env}/${field}`
      : `/${field}`;
  };
  for (const f of Object.values(p.flags)) {
    const file = fileOf(project, `rollout:${f.name}`, `rollouts/${f.name}.yaml`);
    if (f.kind === 'Flag') {
      out.set(`flag:${f.name}`, {
        allocation: split(bucketing(f.seed, f.unit), f.thresholdPpm, 'on', 'off'),
        baseline: 'off',
        stages: f.stages,
        exempt: new Set(),
        at: { file, pointer: envPointer(f.name, 'percent') },
      });
    } else if (f.kind === 'Canary') {
      const c = p.canaries[f.name];
      if (!c) continue;
      const control = `control ${canonicalJson(c.control)}`;
      out.set(`canary:${f.name}`, {
        allocation: split(
          bucketing(f.seed, f.unit),
          f.thresholdPpm,
          `candidate ${canonicalJson(c.candidate)}`,
          control,
        ),
        baseline: control,
        stages: f.stages,
        exempt: new Set(),
        at: { file, pointer: envPointer(f.name, 'percent') },
      });
    }
  }
  for (const m of Object.values(p.models)) {
    const flag = m.rollout === null ? undefined : p.flags[m.rollout];
    const rollout = m.rollout === null ? undefined : p.modelRollouts[m.rollout];
    const allocation =
      flag && rollout && !flag.killed
        ? split(bucketing(flag.seed, flag.unit), flag.thresholdPpm, rollout.to, m.snapshot)
        : uniform(m.snapshot);
    const at = flag
      ? {
          file: fileOf(project, `rollout:${flag.name}`, `rollouts/${flag.name}.yaml`),
          pointer: envPointer(flag.name, 'percent'),
        }
      : { file: fileOf(project, `model:${m.alias}`, `models/${m.alias}.yaml`), pointer: '/snapshot' };
    out.set(`model:${m.alias}`, {
      allocation,
      baseline: m.snapshot,
      stages: flag ? flag.stages : null,
      exempt: new Set(),
      at,
    });
  }
  for (const pr of Object.values(p.prompts)) {
    const active = pr.active === null ? 'no version' : `v${pr.active}`;
    const e = pr.experiment === null ? undefined : p.experiments[pr.experiment];
    let allocation = uniform(active);
    let at = {
      file: fileOf(project, `prompt:${pr.name}@${pr.active ?? 1}`, `prompts/${pr.name}/v${pr.active ?? 1}.yaml`),
      pointer: '/status',
    };
    if (e && e.status === 'running') {
      const segments = [];
      let last = 0;
      for (const v of e.variants) {
        if (v.slotStart > last) segments.push({ start: last, end: v.slotStart, value: active });
        const served = pr.versions[String(v.version)] ? `v${v.version}` : active;
        if (v.enrolledEnd > v.slotStart) segments.push({ start: v.slotStart, end: v.enrolledEnd, value: served });
        if (v.slotEnd > v.enrolledEnd) segments.push({ start: v.enrolledEnd, end: v.slotEnd, value: active });
        last = v.slotEnd;
      }
      if (last < PPM) segments.push({ start: last, end: PPM, value: active });
      allocation = { seed: bucketing(e.seed, e.unit), segments };
      const exp = project.experiments.get(e.id);
      at = {
        file: fileOf(project, `experiment:${e.id}`, `experiments/${e.id}.yaml`),
        pointer: exp?.environments?.[env]?.traffic !== undefined ? `/environments/${env}/traffic` : '/traffic',
      };
    }
    out.set(`prompt:${pr.name}`, {
      allocation,
      baseline: active,
      stages: null,
      exempt: new Set(pr.active === null ? [] : [active]),
      at,
    });
  }
  return out;
}

const pctOf = (ppm: number): string => `${Math.round(ppm / 100) / 100}%`;

/** The largest share (ppm) an answer that had `b` on the base may reach, with the rule in words. */
function allowedShare(
  b: number,
  baseStages: number[] | null,
  headStages: number[] | null,
  policy: GatePolicy,
  source: string,
): { share: number; rule: string } {
  const firstCap = percentToPpm(policy.firstStagePercent);
  const stageLists = [baseStages, headStages].filter((s): s is number[] => s !== null && s.length > 0);
  if (stageLists.length === 0) {
    if (b === 0)
      return {
        share: firstCap,
        rule: `a first exposure reaches at most ${policy.firstStagePercent}% (gate.firstStagePercent, ${source})`,
      };
    const next = UNSTAGED_STAGES.map(percentToPpm).find((s) => s > b) ?? PPM;
    return {
      share: Math.min(PPM, Math.max(b + firstCap, next)),
      rule: `no stages of its own: the next of [${UNSTAGED_STAGES.join(', ')}] or ${policy.firstStagePercent}% more, whichever is larger (${source})`,
    };
  }
  const nexts = stageLists.map((stages) => stages.map(percentToPpm).find((s) => s > b) ?? PPM);
  let share = Math.min(...nexts);
  let rule = `next stage after ${pctOf(b)} of [${(baseStages ?? headStages ?? []).join(', ')}]${baseStages ? ' (stages from the base)' : ''}`;
  if (b === 0 && share > firstCap) {
    share = firstCap;
    rule = `a first exposure reaches at most ${policy.firstStagePercent}% (gate.firstStagePercent, ${source})`;
  }
  return { share, rule };
}

export interface ExposureVerdict {
  rows: ExposureRow[];
  errors: Diagnostic[];
  warnings: Diagnostic[];
}

/**
 * Measures `base → head` in every environment of the head (environments new in the head serve
 * nobody yet and are skipped) and judges each newly given answer against the policy. Subjects
 * removed by the head are judged by the served-resources rules, not here.
 */
export function judgeExposure(base: Project, head: Project, policy: GatePolicy, locate: Locate): ExposureVerdict {
  const rows: ExposureRow[] = [];
  const errors: Diagnostic[] = [];
  const warnings: Diagnostic[] = [];
  const source = policy.source === 'base' ? 'base policy' : 'head policy';
  for (const { name: env } of head.settings.environments) {
    const bp = compiled(base, env);
    const hp = compiled(head, env);
    if (!bp && hp && base.settings.environments.some((e) => e.name === env)) {
      // Nothing to measure against: say so instead of passing silently (the head's own compile errors block elsewhere).
      warnings.push(
        gateDiagnostic(
          locate,
          'W_GATE_BASE_UNCOMPILED',
          'switchyard.yaml',
          '/environments',
          `${env}: the base does not compile, so this change's exposure in ${env} cannot be measured; review it as a first rollout.`,
        ),
      );
    }
    if (!bp || !hp) continue;
    const before = subjectsOf(bp, base, env);
    const after = subjectsOf(hp, head, env);
    for (const [subject, h] of [...after].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const b = before.get(subject);
      // New subject: the base served its baseline to everyone (a flag off, a canary's control).
      const baseAllocation = b?.allocation ?? uniform(h.baseline);
      const baseline = b?.baseline ?? h.baseline;
      const changed = changedShare(baseAllocation, h.allocation);
      if (changed === 0) continue;
      const answers: ExposureAnswer[] = [];
      for (const value of valuesOf(h.allocation)) {
        if (value === baseline) continue;
        const newly = newlyGetting(baseAllocation, h.allocation, value);
        if (newly === 0) continue;
        const baseShare = shareOf(baseAllocation, value);
        const headShare = shareOf(h.allocation, value);
        const exempt = h.exempt.has(value);
        const limit = exempt
          ? { share: PPM, rule: 'the version this change activates: gated by its tests' }
          : allowedShare(baseShare, b?.stages ?? null, h.stages, policy, source);
        const allowed = Math.max(0, limit.share - baseShare);
        answers.push({ value, baseShare, headShare, newly, allowed, rule: limit.rule });
        if (newly > allowed) {
          errors.push(
            gateDiagnostic(
              locate,
              'E_GATE_EXPOSURE_STEP',
              h.at.file,
              h.at.pointer,
              `${env}: ${pctOf(newly)} of units newly get ${describe(subject, value)} (${pctOf(baseShare)} → ${pctOf(headShare)}), more than the ${pctOf(allowed)} allowed: ${limit.rule}.`,
            ),
          );
        }
      }
      rows.push({ env, subject, changed, answers, ok: answers.every((a) => a.newly <= a.allowed) });
    }
  }
  return { rows, errors, warnings };
}

function describe(subject: string, value: string): string {
  const [kind, name] = [subject.slice(0, subject.indexOf(':')), subject.slice(subject.indexOf(':') + 1)];
  if (kind === 'flag') return `flag ${name} on`;
  if (kind === 'canary') return `the candidate pipeline of canary ${name}`;
  if (kind === 'model') return `${value} for new ${name} conversations`;
  return `${name} ${value}`;
}
