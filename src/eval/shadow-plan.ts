/**
 * Which shadow comparisons a change calls for (pure). A comparison runs one dataset through a base
 * and a head configuration:
 * - a model rollout that starts, widens or retargets: pin snapshot vs the rollout's `to`, gated by
 *   the rollout's `shadow.gate` (blocking);
 * - a model pin whose snapshot changes: base snapshot vs head snapshot, gated by the project's
 *   default shadow gate (blocking);
 * - a prompt whose active version changes: base active version vs head active version — shown with
 *   the default gate as advice only, because a new prompt is meant to answer differently.
 * Without a base, every running model rollout is compared.
 */
import type {
  Dataset,
  DatasetRow,
  ModelPin,
  ModelRolloutResource,
  Project,
  PromptVersion,
  ShadowGate,
} from '../config/types.ts';
import { bareRequest, effectiveRequest, type EffectiveRequest } from './effective-request.ts';

export interface ShadowSide {
  /** e.g. `gpt-4o-2024-05-13` or `summarization v1 on gpt-4o-2024-05-13`. */
  label: string;
  snapshot: string;
  /** The model pin of this side (its declared provider decides where the requests go). */
  pin?: ModelPin;
}

/** One side's request: messages and parameters as the runtime serves them (effective-request.ts). */
export type SideRequest = Omit<EffectiveRequest, 'missing'>;

export interface ShadowRequest {
  rowId: string;
  /** What a reader sees as the input (the row's input or its vars). */
  input: string;
  base: SideRequest;
  head: SideRequest;
}

export interface ShadowPlan {
  id: string;
  kind: 'model-rollout' | 'model-pin' | 'prompt-version';
  title: string;
  dataset: string;
  base: ShadowSide;
  head: ShadowSide;
  gate: ShadowGate;
  /** Whether a failed gate blocks the change. */
  blocking: boolean;
  requests: ShadowRequest[];
  /** Problems building the plan (missing dataset, unrenderable rows); reported, never thrown. */
  problems: string[];
}

function activeVersion(project: Project, prompt: string): PromptVersion | undefined {
  for (const v of project.prompts.get(prompt)?.values() ?? []) if (v.status === 'active') return v;
  return undefined;
}

function inputText(row: DatasetRow): string {
  if (row.input !== undefined) return row.input;
  return Object.entries(row.vars ?? {})
    .map(([k, v]) => `${k}: ${v}`)
    .join('\n');
}

/**
 * The request for a row under a configuration, as the runtime would serve it: its prompt's active
 * version (messages and parameters from the version's pin), or the bare input with `pin`'s parameters.
 */
function requestFor(
  project: Project,
  row: DatasetRow,
  pin: ModelPin | undefined,
  version?: PromptVersion,
): SideRequest | string {
  const v = version ?? (row.prompt !== undefined ? activeVersion(project, row.prompt) : undefined);
  if (row.prompt !== undefined && !v) return `prompt ${row.prompt} has no active version`;
  if (!v) return bareRequest(pin, row.input ?? '');
  const { missing, ...request } = effectiveRequest(
    project.models.get(v.model) ?? pin,
    v,
    row.vars ?? (row.input !== undefined ? { input: row.input } : {}),
  );
  return missing.length > 0 ? `row ${row.id} lacks ${missing.join(', ')} for ${v.prompt} v${v.version}` : request;
}

function buildRequests(
  rows: readonly DatasetRow[],
  base: (r: DatasetRow) => SideRequest | string,
  head: (r: DatasetRow) => SideRequest | string,
  problems: string[],
): ShadowRequest[] {
  const out: ShadowRequest[] = [];
  for (const row of rows) {
    const b = base(row);
    const h = head(row);
    if (typeof b === 'string' || typeof h === 'string') {
      problems.push(typeof b === 'string' ? b : (h as string));
      continue;
    }
    out.push({ rowId: row.id, input: inputText(row), base: b, head: h });
  }
  return out;
}

function datasetOrProblem(project: Project, name: string, problems: string[]): Dataset | undefined {
  const d = project.datasets.get(name);
  if (!d) problems.push(`dataset ${name} not found`);
  return d;
}

function pinOf(project: Project, alias: string): { pin?: ModelPin } {
  const pin = project.models.get(alias);
  return pin ? { pin } : {};
}

function rolloutChanged(head: ModelRolloutResource, base: Project | undefined): boolean {
  if (!base) return true;
  const was = base.rollouts.get(head.flag);
  if (!was || was.kind !== 'ModelRollout') return true;
  return was.to !== head.to || was.model !== head.model || head.percent > was.percent || was.killed;
}

export function planShadow(head: Project, base: Project | undefined): ShadowPlan[] {
  const plans: ShadowPlan[] = [];
  const defaultGate = head.settings.defaults.shadowGate;

  for (const r of head.rollouts.values()) {
    if (r.kind !== 'ModelRollout' || r.killed || r.percent <= 0 || !rolloutChanged(r, base)) continue;
    const pin = head.models.get(r.model);
    if (!pin) continue;
    const problems: string[] = [];
    const dataset = datasetOrProblem(head, r.shadow.dataset, problems);
    const rows = dataset?.rows ?? [];
    const msgs = (row: DatasetRow) => requestFor(head, row, pin);
    plans.push({
      id: `rollout:${r.flag}`,
      kind: 'model-rollout',
      title: `${r.model}: ${pin.snapshot} → ${r.to} (rollout ${r.flag}, ${r.percent}%)`,
      dataset: r.shadow.dataset,
      base: { label: pin.snapshot, snapshot: pin.snapshot, pin },
      head: { label: r.to, snapshot: r.to, pin },
      gate: r.shadow.gate,
      blocking: true,
      requests: buildRequests(rows, msgs, msgs, problems),
      problems,
    });
  }

  if (!base) return plans;

  for (const pin of head.models.values()) {
    const was = base.models.get(pin.alias);
    if (!was || was.snapshot === pin.snapshot) continue;
    const problems: string[] = [];
    const rollout = [...head.rollouts.values(), ...base.rollouts.values()].find(
      (r): r is ModelRolloutResource => r.kind === 'ModelRollout' && r.model === pin.alias,
    );
    const name = rollout?.shadow.dataset ?? [...head.datasets.keys()].sort()[0];
    const rows = name ? (datasetOrProblem(head, name, problems)?.rows ?? []) : [];
    if (!name) problems.push('no dataset to shadow with: add one under datasets/');
    plans.push({
      id: `pin:${pin.alias}`,
      kind: 'model-pin',
      title: `${pin.alias}: pin ${was.snapshot} → ${pin.snapshot}`,
      dataset: name ?? '(none)',
      base: { label: was.snapshot, snapshot: was.snapshot, pin: was },
      head: { label: pin.snapshot, snapshot: pin.snapshot, pin },
      gate: rollout?.shadow.gate ?? defaultGate,
      blocking: true,
      requests: buildRequests(
        rows,
        (row) => requestFor(base, row, was),
        (row) => requestFor(head, row, pin),
        problems,
      ),
      problems,
    });
  }

  for (const prompt of [...head.prompts.keys()].sort()) {
    const after = activeVersion(head, prompt);
    const before = activeVersion(base, prompt);
    if (!after || !before || after.version === before.version) continue;
    const rows = [...head.datasets.values()].flatMap((d) => d.rows.filter((r) => r.prompt === prompt));
    const dataset = [...head.datasets.values()]
      .filter((d) => d.rows.some((r) => r.prompt === prompt))
      .map((d) => d.name)
      .join(', ');
    const problems: string[] = rows.length === 0 ? [`no dataset rows with prompt: ${prompt}`] : [];
    const beforeSnap = base.models.get(before.model)?.snapshot ?? '?';
    const afterSnap = head.models.get(after.model)?.snapshot ?? '?';
    plans.push({
      id: `prompt:${prompt}`,
      kind: 'prompt-version',
      title: `${prompt}: v${before.version} → v${after.version}`,
      dataset: dataset || '(none)',
      base: {
        label: `${prompt} v${before.version} on ${beforeSnap}`,
        snapshot: beforeSnap,
        ...pinOf(base, before.model),
      },
      head: { label: `${prompt} v${after.version} on ${afterSnap}`, snapshot: afterSnap, ...pinOf(head, after.model) },
      gate: defaultGate,
      blocking: false,
      requests: buildRequests(
        rows,
        (row) => requestFor(base, row, base.models.get(before.model), before),
        (row) => requestFor(head, row, head.models.get(after.model), after),
        problems,
      ),
      problems,
    });
  }
  return plans;
}
