/**
 * "What changes for users": a semantic diff of two configurations in plain words, e.g.
 * "5% → 25% of new chat conversations get gpt-4o-2024-08-06" or "summarization v2 becomes active
 * (was v1)". Pure; sentences are ordered by area then subject so the report is stable.
 */
import type { Experiment, ModelPin, Project, PromptVersion, RolloutResource } from '../config/types.ts';
import { sameContent } from './content.ts';
import { describeProvider } from './model-routes.ts';

export interface ConfigChange {
  area: 'prompt' | 'model' | 'rollout' | 'experiment' | 'migration' | 'settings';
  /** The resource the sentence is about. */
  subject: string;
  text: string;
}

function activeOf(byVersion: Map<number, PromptVersion> | undefined): number | undefined {
  for (const v of byVersion?.values() ?? []) if (v.status === 'active') return v.version;
  return undefined;
}

function audience(r: RolloutResource): string {
  if (r.kind === 'ModelRollout') return `new ${r.model} conversations get ${r.to}`;
  if (r.kind === 'Canary')
    return `${r.unit} units get the candidate RAG pipeline (${r.candidate.embeddingModel}, ${r.candidate.retrieval}, top ${r.candidate.topK})`;
  if (r.kind === 'Flag') return `${r.unit} units get ${r.flag}`;
  return r.migration;
}

function percentText(r: RolloutResource & { percent: number; killed: boolean }): string {
  return r.killed ? '0% (killed)' : `${r.percent}%`;
}

function rolloutChanges(
  name: string,
  before: RolloutResource | undefined,
  after: RolloutResource | undefined,
  out: ConfigChange[],
): void {
  const push = (text: string, area: ConfigChange['area'] = 'rollout') => out.push({ area, subject: name, text });
  if (!after) {
    if (before)
      push(
        `${name} removed (${before.kind})`,
        before.kind === 'EmbeddingMigration' || before.kind === 'SchemaMigration' ? 'migration' : 'rollout',
      );
    return;
  }
  if (after.kind === 'EmbeddingMigration') {
    const was = before?.kind === 'EmbeddingMigration' ? before : undefined;
    if (!was)
      push(
        `embedding migration ${name} starts in phase ${after.phase} (${after.from.model} → ${after.to.model})`,
        'migration',
      );
    else if (was.phase !== after.phase)
      push(`embedding migration ${name}: phase ${was.phase} → ${after.phase}`, 'migration');
    else if (!sameContent(was, after))
      push(`embedding migration ${name} settings changed (phase stays ${after.phase})`, 'migration');
    envChanges(name, was?.environments, after.environments, 'phase', push, 'migration');
    return;
  }
  if (after.kind === 'SchemaMigration') {
    const was = before?.kind === 'SchemaMigration' ? before : undefined;
    if (!was)
      push(
        `schema migration ${name}: ${after.entity} records v${after.from} → v${after.to} (${after.mode})`,
        'migration',
      );
    else if (!sameContent(was, after))
      push(
        `schema migration ${name} changed (${after.entity} v${after.from} → v${after.to}, ${after.mode})`,
        'migration',
      );
    return;
  }
  const was = before && before.kind === after.kind ? before : undefined;
  if (!was) {
    push(`new ${after.kind}: ${percentText(after)} of ${audience(after)}`);
  } else {
    if (was.kind === 'ModelRollout' && after.kind === 'ModelRollout' && was.to !== after.to) {
      push(`${name} now targets ${after.to} (was ${was.to})`);
    }
    if (was.percent !== after.percent || was.killed !== after.killed) {
      push(
        after.killed && !was.killed
          ? `${name} killed: nobody gets it any more (was ${was.percent}% of ${audience(after)})`
          : `${percentText(was)} → ${percentText(after)} of ${audience(after)}`,
      );
    } else if (!sameContent({ ...was, environments: undefined }, { ...after, environments: undefined })) {
      push(`${name} settings changed (share stays ${percentText(after)})`);
    }
  }
  envChanges(name, was?.environments, after.environments, 'percent', push, 'rollout');
}

function envChanges(
  name: string,
  before: Readonly<Record<string, object>> | undefined,
  after: Readonly<Record<string, object>> | undefined,
  field: string,
  push: (text: string, area: ConfigChange['area']) => void,
  area: ConfigChange['area'],
): void {
  const envs = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  for (const env of [...envs].sort()) {
    const b = before?.[env] as Record<string, unknown> | undefined;
    const a = after?.[env] as Record<string, unknown> | undefined;
    if (sameContent(b ?? null, a ?? null)) continue;
    const show = (o: Record<string, unknown> | undefined) =>
      o === undefined
        ? 'default'
        : o.killed === true
          ? 'killed'
          : o[field] !== undefined
            ? `${String(o[field])}${field === 'percent' ? '%' : ''}`
            : 'default';
    push(`${name} in ${env}: ${show(b)} → ${show(a)}`, area);
  }
}

function promptChanges(
  name: string,
  before: Map<number, PromptVersion> | undefined,
  after: Map<number, PromptVersion> | undefined,
  out: ConfigChange[],
): void {
  const push = (text: string) => out.push({ area: 'prompt', subject: name, text });
  const activeBefore = activeOf(before);
  const activeAfter = activeOf(after);
  if (activeBefore !== activeAfter) {
    if (activeAfter === undefined)
      push(`${name} has no active version any more (was v${activeBefore}): callers get no prompt`);
    else push(`${name} v${activeAfter} becomes active${activeBefore === undefined ? '' : ` (was v${activeBefore})`}`);
  }
  const versions = new Set([...(before?.keys() ?? []), ...(after?.keys() ?? [])]);
  for (const n of [...versions].sort((x, y) => x - y)) {
    const b = before?.get(n);
    const a = after?.get(n);
    if (!a) {
      push(`${name} v${n} removed`);
      continue;
    }
    if (!b) {
      if (a.status !== 'active') push(`${name} v${n} added as ${a.status}`);
      continue;
    }
    if (b.status !== a.status && a.status !== 'active') {
      push(`${name} v${n} ${a.status === 'deprecated' ? 'deprecated' : `back to ${a.status}`} (was ${b.status})`);
    }
    if (!sameContent({ ...b, status: undefined }, { ...a, status: undefined }))
      push(`${name} v${n} edited (${a.status})`);
  }
}

function modelChanges(
  alias: string,
  before: ModelPin | undefined,
  after: ModelPin | undefined,
  out: ConfigChange[],
): void {
  const push = (text: string) => out.push({ area: 'model', subject: alias, text });
  if (!after) {
    if (before) push(`model alias ${alias} removed`);
    return;
  }
  if (!before) {
    push(`new model alias ${alias} on ${after.snapshot}`);
    return;
  }
  if (before.snapshot !== after.snapshot) {
    push(
      `new ${alias} conversations start on ${after.snapshot} (was ${before.snapshot})` +
        (after.conversations === 'pinned'
          ? '; existing conversations keep their snapshot'
          : '; existing conversations follow'),
    );
  }
  if (!sameContent(before.params ?? null, after.params ?? null))
    push(`${alias} parameters change: ${JSON.stringify(before.params ?? {})} → ${JSON.stringify(after.params ?? {})}`);
  if (!sameContent(before.provider, after.provider))
    push(`${alias} provider changes to ${describeProvider(after.provider)}`);
  for (const s of after.retired.filter((x) => !before.retired.includes(x)))
    push(`${alias} retires ${s}: conversations pinned to it are migrated`);
  if (before.conversations !== after.conversations)
    push(`${alias} conversations: ${before.conversations} → ${after.conversations}`);
}

function experimentChanges(
  id: string,
  before: Experiment | undefined,
  after: Experiment | undefined,
  out: ConfigChange[],
): void {
  const push = (text: string) => out.push({ area: 'experiment', subject: id, text });
  if (!after) {
    if (before) push(`experiment ${id} removed`);
    return;
  }
  const variants = (e: Experiment) =>
    Object.entries(e.variants)
      .map(([n, v]) => `${n} v${v.version} ${v.weight}%`)
      .join(', ');
  if (!before) {
    push(
      `new experiment ${id} (${after.status}): ${after.traffic}% of ${after.unit} units on ${after.prompt}, ${variants(after)}`,
    );
    return;
  }
  if (before.status !== after.status)
    push(
      `experiment ${id} ${after.status === 'stopped' ? 'stopped' : `now ${after.status}`} (was ${before.status})${after.status === 'stopped' ? `: ${after.prompt} users get its active version` : ''}`,
    );
  if (before.traffic !== after.traffic)
    push(`experiment ${id}: ${before.traffic}% → ${after.traffic}% of ${after.unit} units enrolled`);
  if (!sameContent(before.variants, after.variants))
    push(`experiment ${id} variants: ${variants(before)} → ${variants(after)}`);
}

function keys<T>(a: Map<string, T> | undefined, b: Map<string, T>): string[] {
  return [...new Set([...(a?.keys() ?? []), ...b.keys()])].sort();
}

/** The changes from `base` to `head`; with no base, every resource is described as new. */
export function diffProjects(base: Project | undefined, head: Project): ConfigChange[] {
  const out: ConfigChange[] = [];
  for (const n of keys(base?.prompts, head.prompts)) promptChanges(n, base?.prompts.get(n), head.prompts.get(n), out);
  for (const n of keys(base?.models, head.models)) modelChanges(n, base?.models.get(n), head.models.get(n), out);
  for (const n of keys(base?.rollouts, head.rollouts))
    rolloutChanges(n, base?.rollouts.get(n), head.rollouts.get(n), out);
  for (const n of keys(base?.experiments, head.experiments))
    experimentChanges(n, base?.experiments.get(n), head.experiments.get(n), out);
  if (base && !sameContent(base.settings, head.settings))
    out.push({ area: 'settings', subject: 'switchyard.yaml', text: 'project settings changed (switchyard.yaml)' });
  const order: ConfigChange['area'][] = ['rollout', 'model', 'prompt', 'experiment', 'migration', 'settings'];
  return out.sort(
    (a, b) =>
      order.indexOf(a.area) - order.indexOf(b.area) || (a.subject < b.subject ? -1 : a.subject > b.subject ? 1 : 0),
  );
}
