/**
 * The decision table: an immutable, precompiled view of one bundle payload, built once per swap.
 *
 * Everything a resolution needs is resolved here (hash prefixes for seeds, thresholds, experiment
 * slots as typed arrays, merged model params, compiled templates, embedding routes) so the hot path
 * is one Map lookup, one hash and a comparison.
 *
 * Field types are checked once, by `bundle/payload-shape.ts` (which `verifyPayload` runs on every
 * download, and `buildTable` runs on untrusted input); compiling only checks what the shape cannot:
 * the environment against the manifest and the cross-references (a rollout's flag, a model's
 * rollout, an experiment's prompt versions). A payload failing either is rejected with a code,
 * never half-loaded.
 */
import type { BundlePayload, PayloadCanary, PayloadModelParams, PayloadSchemaMigration } from '../bundle/payload.ts';
import { payloadShapeError } from '../bundle/payload-shape.ts';
import type { JsonValue } from '../bundle/canonical-json.ts';
import type { HashPrefix } from '../bucketing/murmur3.ts';
import { seedPrefix, shadowSeed } from '../bucketing/bucket.ts';
import { effectiveParams } from './params.ts';
import { compileTemplate } from './template.ts';
import { SwitchyardError } from '../errors.ts';
import type { CompiledTemplate } from './template.ts';
import type { EmbeddingRouteValue, ExperimentValue, Resolution } from './types.ts';

export interface TableMeta {
  serial: number;
  env: string;
  commit: string;
  /** Epoch ms of the manifest's `createdAt` / `expires` (NaN when unknown). */
  createdAt: number;
  expiresAt: number;
  payloadSha256: string;
}

export interface FlagEntry {
  readonly name: string;
  readonly kind: 'Flag' | 'ModelRollout' | 'Canary';
  readonly prefix: HashPrefix;
  readonly thresholdPpm: number;
  readonly killed: boolean;
}

export interface RolloutEntry {
  readonly flag: FlagEntry;
  readonly from: string;
  readonly to: string;
  readonly shadowPrefix: HashPrefix;
  readonly sampleRatePpm: number;
}

export interface ModelEntry {
  readonly alias: string;
  readonly snapshot: string;
  readonly provider: BundlePayload['models'][string]['provider'];
  readonly params: PayloadModelParams;
  readonly pinned: boolean;
  readonly retired: ReadonlySet<string>;
  readonly rollout: RolloutEntry | null;
}

export interface ExperimentEntry {
  readonly id: string;
  readonly running: boolean;
  readonly prompt: string;
  readonly prefix: HashPrefix;
  readonly slotStart: Int32Array;
  readonly slotEnd: Int32Array;
  readonly enrolledEnd: Int32Array;
  readonly names: readonly string[];
  readonly versions: readonly number[];
  /** Frozen answer per variant, so an assignment allocates no value object. */
  readonly values: readonly { readonly variant: string; readonly version: number }[];
  /** `assignExperiment` answer per variant (and with reason `stale`), so an assignment allocates nothing. */
  readonly answers: readonly Resolution<ExperimentValue>[];
  readonly staleAnswers: readonly Resolution<ExperimentValue>[];
}

export interface VersionEntry {
  readonly version: number;
  readonly model: string;
  /** Prompt params over the model's params. */
  readonly params: PayloadModelParams;
  readonly roles: readonly ('system' | 'user' | 'assistant')[];
  readonly templates: readonly CompiledTemplate[];
}

export interface PromptEntry {
  readonly name: string;
  readonly active: VersionEntry | null;
  readonly versions: ReadonlyMap<number, VersionEntry>;
  readonly experiment: ExperimentEntry | null;
}

export interface CanaryEntry {
  readonly flag: FlagEntry;
  readonly spec: PayloadCanary;
}

export interface DecisionTable {
  readonly meta: TableMeta;
  readonly payload: BundlePayload;
  readonly flags: ReadonlyMap<string, FlagEntry>;
  readonly models: ReadonlyMap<string, ModelEntry>;
  readonly prompts: ReadonlyMap<string, PromptEntry>;
  readonly experiments: ReadonlyMap<string, ExperimentEntry>;
  readonly canaries: ReadonlyMap<string, CanaryEntry>;
  readonly embeddings: ReadonlyMap<string, EmbeddingRouteValue>;
  readonly schemaMigrations: ReadonlyMap<string, PayloadSchemaMigration>;
  /**
   * `isEnabled` answers, index = outcome (out, in, killed), precomputed once per table so the hot path
   * allocates nothing; `staleFlagAnswers` carry reason `stale`. Frozen and shared between callers.
   */
  readonly flagAnswers: readonly Resolution<boolean>[];
  readonly staleFlagAnswers: readonly Resolution<boolean>[];
}

export type BuildResult = { ok: true; table: DecisionTable } | { ok: false; code: 'PAYLOAD_INVALID'; message: string };

/** A payload the table cannot be built from; caught in buildTable and returned as data. */
class Invalid extends SwitchyardError {
  override name = 'Invalid';
}

function fail(path: string, what: string): never {
  throw new Invalid('E_PAYLOAD_INVALID', `${path}: ${what}`);
}

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const k of Object.keys(v)) deepFreeze((v as Record<string, unknown>)[k]);
  }
  return v;
}

/**
 * Validates an untrusted `payload` (its shape, then its cross-references) and precompiles it. Pure,
 * non-throwing. Freezes `payload` in place.
 */
export function buildTable(payload: unknown, meta: TableMeta): BuildResult {
  let shapeError: string | undefined;
  try {
    shapeError = payloadShapeError(payload as JsonValue);
  } catch (e) {
    shapeError = String(e);
  }
  if (shapeError !== undefined) return { ok: false, code: 'PAYLOAD_INVALID', message: `payload shape: ${shapeError}` };
  return compileTable(payload as BundlePayload, meta);
}

/**
 * Precompiles a payload whose shape is already checked (`verifyPayload` did it): only the
 * environment and cross-references are checked here. Pure, non-throwing. Freezes `payload` in place.
 */
export function compileTable(payload: BundlePayload, meta: TableMeta): BuildResult {
  try {
    return { ok: true, table: build(payload, meta) };
  } catch (e) {
    return { ok: false, code: 'PAYLOAD_INVALID', message: e instanceof Invalid ? e.message : String(e) };
  }
}

function flagAnswers(serial: number, stale: boolean): readonly Resolution<boolean>[] {
  const answer = (value: boolean, rule: 'default' | 'rollout' | 'killed'): Resolution<boolean> =>
    Object.freeze({ value, reason: stale ? 'stale' : rule, rule, serial });
  return Object.freeze([answer(false, 'default'), answer(true, 'rollout'), answer(false, 'killed')]);
}

function experimentAnswers(
  variants: readonly { name: string; version: number }[],
  serial: number,
  stale: boolean,
): readonly Resolution<ExperimentValue>[] {
  return Object.freeze(
    variants.map((v) =>
      Object.freeze({
        value: Object.freeze({ variant: v.name, version: v.version }),
        reason: stale ? 'stale' : 'experiment',
        rule: 'experiment',
        serial,
      } as const),
    ),
  );
}

/**
 * The decision table of a payload: one map per resource kind, each entry precomputed for the
 * resolve path (hash prefixes, thresholds, frozen answers). Kinds are built in dependency order —
 * flags, model rollouts, models, experiments, prompts — so each step can check its references.
 */
function build(raw: BundlePayload, meta: TableMeta): DecisionTable {
  if (raw.env !== meta.env)
    fail('payload.env', `is ${JSON.stringify(raw.env)}, the manifest says ${JSON.stringify(meta.env)}`);
  const payload = deepFreeze(raw);
  const flags = buildFlags(payload);
  const models = buildModels(payload, buildRollouts(payload, flags));
  const experiments = buildExperiments(payload, meta.serial);
  const prompts = buildPrompts(payload, models, experiments);
  const canaries = buildCanaries(payload, flags);
  const embeddings = buildEmbeddings(payload);
  const schemaMigrations = new Map<string, PayloadSchemaMigration>(Object.entries(payload.schemaMigrations));

  return Object.freeze({
    meta: Object.freeze({ ...meta }),
    payload,
    flags,
    models,
    prompts,
    experiments,
    canaries,
    embeddings,
    schemaMigrations,
    flagAnswers: flagAnswers(meta.serial, false),
    staleFlagAnswers: flagAnswers(meta.serial, true),
  });
}

/** Flags with their hash prefix; a killed flag's threshold is 0, so it is off for every unit. */
function buildFlags(payload: BundlePayload): Map<string, FlagEntry> {
  const flags = new Map<string, FlagEntry>();
  for (const [name, f] of Object.entries(payload.flags)) {
    flags.set(
      name,
      Object.freeze({
        name,
        kind: f.kind,
        prefix: seedPrefix(f.seed),
        thresholdPpm: f.killed ? 0 : f.thresholdPpm,
        killed: f.killed,
      }),
    );
  }
  return flags;
}

/** Model rollouts, each bound to its flag and to the shadow sample's own hash prefix. */
function buildRollouts(payload: BundlePayload, flags: Map<string, FlagEntry>): Map<string, RolloutEntry> {
  const rollouts = new Map<string, RolloutEntry>();
  for (const [name, r] of Object.entries(payload.modelRollouts)) {
    const flag = flags.get(r.flag);
    if (flag === undefined) fail(`modelRollouts.${name}.flag`, `flag ${r.flag} is not in flags`);
    rollouts.set(
      name,
      Object.freeze({
        flag,
        from: r.from,
        to: r.to,
        shadowPrefix: seedPrefix(shadowSeed((payload.flags[flag.name] as BundlePayload['flags'][string]).seed)),
        sampleRatePpm: r.shadow.sampleRatePpm,
      }),
    );
  }
  return rollouts;
}

/** Model aliases, each with the rollout that may move it (or null). */
function buildModels(payload: BundlePayload, rollouts: Map<string, RolloutEntry>): Map<string, ModelEntry> {
  const models = new Map<string, ModelEntry>();
  for (const [alias, m] of Object.entries(payload.models)) {
    const rollout = m.rollout === null ? null : rollouts.get(m.rollout);
    if (rollout === undefined) fail(`models.${alias}.rollout`, `model rollout ${m.rollout} is not in modelRollouts`);
    models.set(
      alias,
      Object.freeze({
        alias,
        snapshot: m.snapshot,
        provider: m.provider,
        params: m.params,
        pinned: m.conversations !== 'follow',
        retired: new Set(m.retired),
        rollout,
      }),
    );
  }
  return models;
}

/** Experiments with their slot ranges as typed arrays and every answer built once per serial. */
function buildExperiments(payload: BundlePayload, serial: number): Map<string, ExperimentEntry> {
  const experiments = new Map<string, ExperimentEntry>();
  for (const [id, e] of Object.entries(payload.experiments)) {
    const entry: ExperimentEntry = {
      id,
      running: e.status === 'running',
      prompt: e.prompt,
      prefix: seedPrefix(e.seed),
      slotStart: Int32Array.from(e.variants, (v) => v.slotStart),
      slotEnd: Int32Array.from(e.variants, (v) => v.slotEnd),
      enrolledEnd: Int32Array.from(e.variants, (v) => v.enrolledEnd),
      names: Object.freeze(e.variants.map((v) => v.name)),
      versions: Object.freeze(e.variants.map((v) => v.version)),
      values: Object.freeze(e.variants.map((v) => Object.freeze({ variant: v.name, version: v.version }))),
      answers: experimentAnswers(e.variants, serial, false),
      staleAnswers: experimentAnswers(e.variants, serial, true),
    };
    experiments.set(id, Object.freeze(entry));
  }
  return experiments;
}

/**
 * Prompts with their compiled versions; the active version and the experiment must exist, and
 * every variant of the experiment must be a version of the prompt.
 */
function buildPrompts(
  payload: BundlePayload,
  models: Map<string, ModelEntry>,
  experiments: Map<string, ExperimentEntry>,
): Map<string, PromptEntry> {
  const prompts = new Map<string, PromptEntry>();
  for (const [name, pr] of Object.entries(payload.prompts)) {
    const versions = buildVersions(pr.versions, models);
    const active = pr.active === null ? null : versions.get(pr.active);
    if (active === undefined) fail(`prompts.${name}.active`, `version ${pr.active} is not in versions`);
    const experiment = pr.experiment === null ? null : experiments.get(pr.experiment);
    if (experiment === undefined)
      fail(`prompts.${name}.experiment`, `experiment ${pr.experiment} is not in experiments`);
    if (experiment !== null) {
      experiment.versions.forEach((v) => {
        if (!versions.has(v))
          fail(`experiments.${experiment.id}`, `variant version ${v} is not a version of prompt ${name}`);
      });
    }
    prompts.set(name, Object.freeze({ name, active, versions, experiment }));
  }
  return prompts;
}

/** A prompt's versions: params over the model's, templates compiled once. */
function buildVersions(
  raw: BundlePayload['prompts'][string]['versions'],
  models: Map<string, ModelEntry>,
): Map<number, VersionEntry> {
  const versions = new Map<number, VersionEntry>();
  for (const v of Object.values(raw)) {
    const modelParams = models.get(v.model)?.params ?? {};
    versions.set(
      v.version,
      Object.freeze({
        version: v.version,
        model: v.model,
        params: Object.freeze(effectiveParams(modelParams, v.params)),
        roles: Object.freeze(v.messages.map((m) => m.role)),
        templates: Object.freeze(v.messages.map((m) => compileTemplate(m.content))),
      }),
    );
  }
  return versions;
}

/** Canaries, each bound to its flag. */
function buildCanaries(payload: BundlePayload, flags: Map<string, FlagEntry>): Map<string, CanaryEntry> {
  const canaries = new Map<string, CanaryEntry>();
  for (const [name, c] of Object.entries(payload.canaries)) {
    const flag = flags.get(c.flag);
    if (flag === undefined) fail(`canaries.${name}.flag`, `flag ${c.flag} is not in flags`);
    canaries.set(name, Object.freeze({ flag, spec: c as PayloadCanary }));
  }
  return canaries;
}

/** Embedding migrations as the route answer the runtime hands out. */
function buildEmbeddings(payload: BundlePayload): Map<string, EmbeddingRouteValue> {
  const embeddings = new Map<string, EmbeddingRouteValue>();
  for (const [id, m] of Object.entries(payload.embeddingMigrations)) {
    embeddings.set(
      id,
      Object.freeze({ phase: m.phase, write: m.write, read: m.read, backfillActive: m.backfill.active }),
    );
  }
  return embeddings;
}
