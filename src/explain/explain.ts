/**
 * What one unit gets from a bundle, and why: every model alias, prompt, flag, experiment, canary and
 * embedding route, resolved by the runtime's own engine (so the answer is the one production
 * computes), each with the rule the engine gave and the arithmetic behind it — the unit's bucket
 * under the subject's seed, the threshold it is compared with, the experiment slots. Pure.
 */
import { bucketOf, buildTable, Engine, type BundlePayload, type TableMeta } from '@switchyard/runtime/bundle';

export interface ExplainOptions {
  unitKey: string;
  /** The snapshot a conversation is pinned to (applies to every model alias). */
  conversationPin?: string;
}

export interface Explained {
  /** Subject name (alias, prompt, flag, experiment id, canary, migration). */
  name: string;
  /** What the unit gets, in words (`gpt-4o-2024-08-06`, `v2 (variant treatment)`, `on`, …). */
  value: string;
  reason: string;
  rule: string;
  /** Why, in numbers and names: bucket vs threshold, slots, phase. */
  why: string;
  errorCode?: string;
}

export interface Explanation {
  unitKey: string;
  env: string;
  serial: number;
  commit: string;
  conversationPin: string | null;
  models: Explained[];
  prompts: Explained[];
  flags: Explained[];
  experiments: Explained[];
  canaries: Explained[];
  embeddingRoutes: Explained[];
}

/** Why a flag-gated decision came out as it did: the unit's bucket against the threshold. */
function gate(payload: BundlePayload, flagName: string, unitKey: string): string {
  const flag = payload.flags[flagName];
  if (!flag) return `flag ${flagName} not in the bundle`;
  if (flag.killed) return `flag ${flagName} is killed (off for everyone)`;
  const bucket = bucketOf(flag.seed, unitKey);
  return `bucket ${bucket} ${bucket < flag.thresholdPpm ? '<' : '≥'} threshold ${flag.thresholdPpm} ppm (${flag.percent} %, seed ${flag.seed}) under flag ${flagName}`;
}

/** One explained subject: its value, the engine's reason and rule, and why (with any error code). */
function entry(
  name: string,
  value: string,
  r: { reason: string; rule: string; errorCode?: string },
  why: string,
): Explained {
  return {
    name,
    value,
    reason: r.reason,
    rule: r.rule,
    why,
    ...(r.errorCode ? { errorCode: r.errorCode } : {}),
  };
}

/** Resolves everything `payload` defines for one unit. Returns an error message for a payload the runtime would refuse. */
export function explainUnit(
  payload: BundlePayload,
  meta: TableMeta,
  options: ExplainOptions,
): { ok: true; value: Explanation } | { ok: false; message: string } {
  const built = buildTable(payload, meta);
  if (!built.ok) return { ok: false, message: `${built.code}: ${built.message}` };
  const engine = new Engine({ sink: null });
  engine.swap(built.table);
  const { unitKey } = options;
  return {
    ok: true,
    value: {
      unitKey,
      env: meta.env,
      serial: meta.serial,
      commit: meta.commit,
      conversationPin: options.conversationPin ?? null,
      models: explainModels(engine, payload, options),
      prompts: explainPrompts(engine, payload, unitKey),
      flags: explainFlags(engine, payload, unitKey),
      experiments: explainExperiments(engine, payload, unitKey),
      canaries: explainCanaries(engine, payload, unitKey),
      embeddingRoutes: explainEmbeddingRoutes(engine, payload),
    },
  };
}

/** Each model alias: the conversation's pin, the rollout's bucket, or the alias's own snapshot. */
function explainModels(engine: Engine, payload: BundlePayload, options: ExplainOptions): Explained[] {
  const { unitKey } = options;
  return Object.keys(payload.models)
    .sort()
    .map((alias) => {
      const r = engine.resolveModel(alias, {
        unitKey,
        conversation: options.conversationPin ? { snapshot: options.conversationPin } : null,
      });
      const model = payload.models[alias]!;
      const why =
        r.rule === 'pinned'
          ? `the conversation is pinned to ${options.conversationPin}`
          : model.rollout
            ? gate(payload, model.rollout, unitKey)
            : 'no rollout: the alias serves its snapshot';
      return entry(alias, r.value ?? '(none)', r, why);
    });
}

/** Each prompt: the experiment's variant or the active version, and the model it runs on. */
function explainPrompts(engine: Engine, payload: BundlePayload, unitKey: string): Explained[] {
  return Object.keys(payload.prompts)
    .sort()
    .map((name) => {
      const r = engine.getPrompt(name, { unitKey });
      const v = r.value;
      const why = v?.experiment
        ? `experiment ${v.experiment} assigned variant ${v.variant}`
        : 'the active version (no running experiment enrols this unit)';
      return entry(
        name,
        v
          ? `v${v.version}${v.variant ? ` (variant ${v.variant})` : ''} on ${v.model.alias} → ${v.model.snapshot ?? '(none)'}`
          : '(none)',
        r,
        why,
      );
    });
}

/** Each flag: on or off, by the unit's bucket against the threshold. */
function explainFlags(engine: Engine, payload: BundlePayload, unitKey: string): Explained[] {
  return Object.keys(payload.flags)
    .sort()
    .map((name) => {
      const r = engine.isEnabled(name, { unitKey });
      return entry(name, r.value ? 'on' : 'off', r, `${payload.flags[name]!.kind}: ${gate(payload, name, unitKey)}`);
    });
}

/** Each experiment: the variant assigned (or none), with the unit's bucket and the enrolled slots. */
function explainExperiments(engine: Engine, payload: BundlePayload, unitKey: string): Explained[] {
  return Object.keys(payload.experiments)
    .sort()
    .map((id) => {
      const r = engine.assignExperiment(id, { unitKey });
      const x = payload.experiments[id]!;
      const bucket = bucketOf(x.seed, unitKey);
      const slots = x.variants.map((v) => `${v.name} [${v.slotStart}, ${v.enrolledEnd})`).join(', ');
      const why =
        x.status !== 'running'
          ? `status ${x.status}: nobody is enrolled`
          : `bucket ${bucket} (seed ${x.seed}, traffic ${x.traffic} %); enrolled slots ${slots}`;
      return entry(id, r.value.variant ? `${r.value.variant} (v${r.value.version})` : 'not enrolled', r, why);
    });
}

/** Each canary: the arm's pipeline, by the unit's bucket under the canary's flag. */
function explainCanaries(engine: Engine, payload: BundlePayload, unitKey: string): Explained[] {
  return Object.keys(payload.canaries)
    .sort()
    .map((name) => {
      const r = engine.canary(name, { unitKey });
      const c = r.value;
      return entry(
        name,
        c ? `${c.variant}: ${c.pipeline.retrieval}, ${c.pipeline.embeddingModel}, topK ${c.pipeline.topK}` : '(none)',
        r,
        gate(payload, name, unitKey),
      );
    });
}

/** Each embedding migration's route: the phase decides, for every unit alike. */
function explainEmbeddingRoutes(engine: Engine, payload: BundlePayload): Explained[] {
  return Object.keys(payload.embeddingMigrations)
    .sort()
    .map((name) => {
      const r = engine.embeddingRoute(name);
      const v = r.value;
      const targets = (t: readonly { index: string }[]) => t.map((x) => x.index).join(', ');
      return entry(
        name,
        v ? `phase ${v.phase}: write ${targets(v.write)}; read ${targets(v.read)}` : '(none)',
        r,
        'the phase decides for every unit (no bucketing)',
      );
    });
}

const SECTIONS = ['models', 'prompts', 'flags', 'experiments', 'canaries', 'embeddingRoutes'] as const;

/** Plain-text rendering: one block per section, one line per subject plus its reason. */
export function renderExplanation(e: Explanation): string {
  const lines = [
    `unit ${e.unitKey} in ${e.env} (serial ${e.serial}, commit ${e.commit.slice(0, 12)})${e.conversationPin ? `, conversation pinned to ${e.conversationPin}` : ''}`,
  ];
  for (const section of SECTIONS) {
    if (e[section].length === 0) continue;
    lines.push('', `${section === 'embeddingRoutes' ? 'embedding routes' : section}:`);
    for (const x of e[section]) {
      lines.push(
        `  ${x.name}: ${x.value}`,
        `    ${x.reason === x.rule ? x.rule : `${x.reason} (rule ${x.rule})`}${x.errorCode ? ` ${x.errorCode}` : ''} — ${x.why}`,
      );
    }
  }
  return lines.join('\n');
}
