/**
 * The decision table: an immutable, precompiled view of one bundle payload, built once per swap.
 *
 * Everything a resolution needs is resolved here (hash prefixes for seeds, thresholds, experiment
 * slots as typed arrays, merged model params, compiled templates, embedding routes) so the hot path
 * is one Map lookup, one hash and a comparison. The builder also validates the payload's shape:
 * a payload that passed signature and hash checks but is structurally wrong is rejected with a
 * code, never half-loaded.
 */
import type {
  BundlePayload,
  PayloadCanary,
  PayloadEmbeddingMigration,
  PayloadModelParams,
  PayloadSchemaMigration,
} from '../bundle/payload.ts';
import { PAYLOAD_FORMAT } from '../bundle/payload.ts';
import type { HashPrefix } from '../bucketing/murmur3.ts';
import { seedPrefix, shadowSeed } from '../bucketing/bucket.ts';
import { compileTemplate } from './template.ts';
import type { CompiledTemplate } from './template.ts';
import type { EmbeddingRouteValue } from './types.ts';

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
}

export type BuildResult = { ok: true; table: DecisionTable } | { ok: false; code: 'PAYLOAD_INVALID'; message: string };

class Invalid extends Error {}

function fail(path: string, what: string): never {
  throw new Invalid(`${path}: ${what}`);
}
function obj(v: unknown, path: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, 'expected an object');
  return v as Record<string, unknown>;
}
function str(v: unknown, path: string): string {
  if (typeof v !== 'string') fail(path, 'expected a string');
  return v;
}
function num(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(path, 'expected a number');
  return v;
}
function ppm(v: unknown, path: string): number {
  const n = num(v, path);
  if (!Number.isInteger(n) || n < 0 || n > 1_000_000) fail(path, 'expected an integer in [0, 1000000]');
  return n;
}
function arr(v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) fail(path, 'expected an array');
  return v;
}

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const k of Object.keys(v)) deepFreeze((v as Record<string, unknown>)[k]);
  }
  return v;
}

/** Validates `payload` and precompiles it. Pure, non-throwing. Freezes `payload` in place. */
export function buildTable(payload: unknown, meta: TableMeta): BuildResult {
  try {
    return { ok: true, table: build(payload, meta) };
  } catch (e) {
    return { ok: false, code: 'PAYLOAD_INVALID', message: e instanceof Invalid ? e.message : String(e) };
  }
}

function build(raw: unknown, meta: TableMeta): DecisionTable {
  const p = obj(raw, 'payload');
  if (p.format !== PAYLOAD_FORMAT) fail('payload.format', `unsupported format ${JSON.stringify(p.format)}`);
  if (str(p.env, 'payload.env') !== meta.env) fail('payload.env', `is ${JSON.stringify(p.env)}, the manifest says ${JSON.stringify(meta.env)}`);
  const payload = deepFreeze(raw as BundlePayload);

  const flags = new Map<string, FlagEntry>();
  for (const [name, f] of Object.entries(obj(p.flags, 'flags'))) {
    const at = `flags.${name}`;
    const o = obj(f, at);
    const kind = str(o.kind, `${at}.kind`);
    if (kind !== 'Flag' && kind !== 'ModelRollout' && kind !== 'Canary') fail(`${at}.kind`, `unknown kind ${kind}`);
    const killed = o.killed === true;
    flags.set(name, Object.freeze({
      name,
      kind,
      prefix: seedPrefix(str(o.seed, `${at}.seed`)),
      thresholdPpm: killed ? 0 : ppm(o.thresholdPpm, `${at}.thresholdPpm`),
      killed,
    }));
  }

  const rollouts = new Map<string, RolloutEntry>();
  for (const [name, r] of Object.entries(obj(p.modelRollouts, 'modelRollouts'))) {
    const at = `modelRollouts.${name}`;
    const o = obj(r, at);
    const flag = flags.get(str(o.flag, `${at}.flag`));
    if (flag === undefined) fail(`${at}.flag`, `flag ${String(o.flag)} is not in flags`);
    const shadow = obj(o.shadow, `${at}.shadow`);
    const flagSeed = obj((p.flags as Record<string, unknown>)[flag.name], at).seed as string;
    rollouts.set(name, Object.freeze({
      flag,
      from: str(o.from, `${at}.from`),
      to: str(o.to, `${at}.to`),
      shadowPrefix: seedPrefix(shadowSeed(flagSeed)),
      sampleRatePpm: ppm(shadow.sampleRatePpm, `${at}.shadow.sampleRatePpm`),
    }));
  }

  const models = new Map<string, ModelEntry>();
  for (const [alias, m] of Object.entries(obj(p.models, 'models'))) {
    const at = `models.${alias}`;
    const o = obj(m, at);
    const rolloutName = o.rollout === null || o.rollout === undefined ? null : str(o.rollout, `${at}.rollout`);
    const rollout = rolloutName === null ? null : rollouts.get(rolloutName);
    if (rollout === undefined) fail(`${at}.rollout`, `model rollout ${rolloutName} is not in modelRollouts`);
    obj(o.provider, `${at}.provider`);
    models.set(alias, Object.freeze({
      alias,
      snapshot: str(o.snapshot, `${at}.snapshot`),
      provider: o.provider as ModelEntry['provider'],
      params: obj(o.params ?? {}, `${at}.params`) as PayloadModelParams,
      pinned: o.conversations !== 'follow',
      retired: new Set(arr(o.retired ?? [], `${at}.retired`).map((s, i) => str(s, `${at}.retired[${i}]`))),
      rollout,
    }));
  }

  const experiments = new Map<string, ExperimentEntry>();
  for (const [id, e] of Object.entries(obj(p.experiments, 'experiments'))) {
    const at = `experiments.${id}`;
    const o = obj(e, at);
    const variants = arr(o.variants, `${at}.variants`).map((v, i) => obj(v, `${at}.variants[${i}]`));
    const n = variants.length;
    const entry: ExperimentEntry = {
      id,
      running: o.status === 'running',
      prompt: str(o.prompt, `${at}.prompt`),
      prefix: seedPrefix(str(o.seed, `${at}.seed`)),
      slotStart: new Int32Array(n),
      slotEnd: new Int32Array(n),
      enrolledEnd: new Int32Array(n),
      names: variants.map((v, i) => str(v.name, `${at}.variants[${i}].name`)),
      versions: variants.map((v, i) => num(v.version, `${at}.variants[${i}].version`)),
      values: [],
    };
    (entry as { values: ExperimentEntry['values'] }).values = Object.freeze(
      entry.names.map((variant, i) => Object.freeze({ variant, version: entry.versions[i] as number })),
    );
    let previousEnd = 0;
    variants.forEach((v, i) => {
      const vat = `${at}.variants[${i}]`;
      const s = ppm(v.slotStart, `${vat}.slotStart`);
      const end = ppm(v.slotEnd, `${vat}.slotEnd`);
      const en = ppm(v.enrolledEnd, `${vat}.enrolledEnd`);
      if (s < previousEnd || end < s || en < s || en > end) fail(vat, 'slots must be ordered and enrolledEnd within the slot');
      previousEnd = end;
      entry.slotStart[i] = s;
      entry.slotEnd[i] = end;
      entry.enrolledEnd[i] = en;
    });
    experiments.set(id, Object.freeze(entry));
  }

  const prompts = new Map<string, PromptEntry>();
  for (const [name, pr] of Object.entries(obj(p.prompts, 'prompts'))) {
    const at = `prompts.${name}`;
    const o = obj(pr, at);
    const versions = new Map<number, VersionEntry>();
    for (const [key, v] of Object.entries(obj(o.versions, `${at}.versions`))) {
      const vat = `${at}.versions.${key}`;
      const vo = obj(v, vat);
      const version = num(vo.version, `${vat}.version`);
      const model = str(vo.model, `${vat}.model`);
      const messages = arr(vo.messages, `${vat}.messages`).map((m, i) => obj(m, `${vat}.messages[${i}]`));
      const modelParams = models.get(model)?.params ?? {};
      versions.set(version, Object.freeze({
        version,
        model,
        params: Object.freeze({ ...modelParams, ...(obj(vo.params ?? {}, `${vat}.params`) as PayloadModelParams) }),
        roles: Object.freeze(messages.map((m, i) => {
          const role = str(m.role, `${vat}.messages[${i}].role`);
          if (role !== 'system' && role !== 'user' && role !== 'assistant') fail(`${vat}.messages[${i}].role`, `unknown role ${role}`);
          return role;
        })),
        templates: Object.freeze(messages.map((m, i) => compileTemplate(str(m.content, `${vat}.messages[${i}].content`)))),
      }));
    }
    const activeNo = o.active === null || o.active === undefined ? null : num(o.active, `${at}.active`);
    const active = activeNo === null ? null : versions.get(activeNo);
    if (active === undefined) fail(`${at}.active`, `version ${activeNo} is not in versions`);
    const expId = o.experiment === null || o.experiment === undefined ? null : str(o.experiment, `${at}.experiment`);
    const experiment = expId === null ? null : experiments.get(expId);
    if (experiment === undefined) fail(`${at}.experiment`, `experiment ${expId} is not in experiments`);
    if (experiment !== null) {
      experiment.versions.forEach((v) => {
        if (!versions.has(v)) fail(`experiments.${experiment.id}`, `variant version ${v} is not a version of prompt ${name}`);
      });
    }
    prompts.set(name, Object.freeze({ name, active, versions, experiment }));
  }

  const canaries = new Map<string, CanaryEntry>();
  for (const [name, c] of Object.entries(obj(p.canaries, 'canaries'))) {
    const at = `canaries.${name}`;
    const o = obj(c, at);
    const flag = flags.get(str(o.flag, `${at}.flag`));
    if (flag === undefined) fail(`${at}.flag`, `flag ${String(o.flag)} is not in flags`);
    obj(o.control, `${at}.control`);
    obj(o.candidate, `${at}.candidate`);
    canaries.set(name, Object.freeze({ flag, spec: o as unknown as PayloadCanary }));
  }

  const embeddings = new Map<string, EmbeddingRouteValue>();
  for (const [id, m] of Object.entries(obj(p.embeddingMigrations, 'embeddingMigrations'))) {
    const at = `embeddingMigrations.${id}`;
    const o = obj(m, at) as unknown as PayloadEmbeddingMigration;
    const phase = str(o.phase, `${at}.phase`);
    if (!['dual-write', 'backfill', 'dual-read', 'cutover', 'complete'].includes(phase)) fail(`${at}.phase`, `unknown phase ${phase}`);
    arr(o.write, `${at}.write`).forEach((t, i) => obj(t, `${at}.write[${i}]`));
    arr(o.read, `${at}.read`).forEach((t, i) => obj(t, `${at}.read[${i}]`));
    embeddings.set(id, Object.freeze({
      phase: o.phase,
      write: o.write,
      read: o.read,
      backfillActive: obj(o.backfill ?? {}, `${at}.backfill`).active === true,
    }));
  }

  const schemaMigrations = new Map<string, PayloadSchemaMigration>();
  for (const [id, m] of Object.entries(obj(p.schemaMigrations, 'schemaMigrations'))) {
    const at = `schemaMigrations.${id}`;
    const o = obj(m, at);
    num(o.from, `${at}.from`);
    num(o.to, `${at}.to`);
    obj(o.upgrade, `${at}.upgrade`);
    schemaMigrations.set(id, o as unknown as PayloadSchemaMigration);
  }

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
  });
}
