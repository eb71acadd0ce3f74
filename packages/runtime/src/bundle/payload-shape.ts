/**
 * Structural check of a parsed payload. The payload is hash-bound to a signed manifest, so this
 * guards against compiler bugs and format drift rather than attackers: the runtime builds its
 * decision table only from a payload whose every field has the type `payload.ts` promises, so the
 * hot path needs no defensive checks.
 */

import type { JsonValue } from './canonical-json.ts';
import { PAYLOAD_FORMAT } from './payload.ts';

type JsonObject = { [key: string]: JsonValue };

class ShapeError {
  readonly message: string;
  constructor(message: string) {
    this.message = message;
  }
}

function fail(pointer: string, what: string): never {
  throw new ShapeError(`${pointer || '(root)'} ${what}`);
}

function object(value: JsonValue | undefined, pointer: string): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(pointer, 'must be an object');
  return value;
}

function array(value: JsonValue | undefined, pointer: string): JsonValue[] {
  if (!Array.isArray(value)) fail(pointer, 'must be an array');
  return value;
}

function string(value: JsonValue | undefined, pointer: string): string {
  if (typeof value !== 'string') fail(pointer, 'must be a string');
  return value;
}

function nullableString(value: JsonValue | undefined, pointer: string): void {
  if (value !== null) string(value, pointer);
}

function number(value: JsonValue | undefined, pointer: string): number {
  if (typeof value !== 'number') fail(pointer, 'must be a number');
  return value;
}

function ppm(value: JsonValue | undefined, pointer: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 1_000_000) {
    fail(pointer, 'must be an integer in parts per million (0..1000000)');
  }
  return value;
}

function boolean(value: JsonValue | undefined, pointer: string): void {
  if (typeof value !== 'boolean') fail(pointer, 'must be a boolean');
}

function oneOf(value: JsonValue | undefined, allowed: readonly string[], pointer: string): void {
  if (typeof value !== 'string' || !allowed.includes(value)) fail(pointer, `must be one of ${allowed.join(', ')}`);
}

function stringArray(value: JsonValue | undefined, pointer: string): void {
  array(value, pointer).forEach((item, i) => string(item, `${pointer}/${i}`));
}

function params(value: JsonValue | undefined, pointer: string): void {
  for (const [key, item] of Object.entries(object(value, pointer))) number(item, `${pointer}/${key}`);
}

/** Each entry of a record, with its key checked against the entry's own name field. */
function entries(
  value: JsonValue | undefined,
  pointer: string,
  nameField?: string,
): Array<[string, JsonObject, string]> {
  return Object.entries(object(value, pointer)).map(([key, item]) => {
    const at = `${pointer}/${key}`;
    const entry = object(item, at);
    if (nameField !== undefined && entry[nameField] !== key) fail(`${at}/${nameField}`, `must equal its key "${key}"`);
    return [key, entry, at];
  });
}

function target(value: JsonValue | undefined, pointer: string): void {
  const t = object(value, pointer);
  string(t.model, `${pointer}/model`);
  number(t.dimension, `${pointer}/dimension`);
  string(t.index, `${pointer}/index`);
  if (t.table !== undefined) string(t.table, `${pointer}/table`);
  if (t.column !== undefined) string(t.column, `${pointer}/column`);
}

function pipeline(value: JsonValue | undefined, pointer: string): void {
  const p = object(value, pointer);
  string(p.embeddingModel, `${pointer}/embeddingModel`);
  oneOf(p.retrieval, ['semantic', 'keyword', 'hybrid'], `${pointer}/retrieval`);
  number(p.topK, `${pointer}/topK`);
  string(p.index, `${pointer}/index`);
}

/** The whole payload: its header, then every entry of every section, each by its own check. */
function checkPayload(doc: JsonValue): void {
  const root = object(doc, '');
  if (root.format !== PAYLOAD_FORMAT)
    fail('/format', `must be ${PAYLOAD_FORMAT} (this runtime reads payload format ${PAYLOAD_FORMAT})`);
  string(root.project, '/project');
  string(root.env, '/env');
  string(root.commit, '/commit');
  for (const [, m, at] of entries(root.models, '/models', 'alias')) model(m, at);
  for (const [, p, at] of entries(root.prompts, '/prompts', 'name')) prompt(p, at);
  for (const [, f, at] of entries(root.flags, '/flags', 'name')) flag(f, at);
  for (const [, r, at] of entries(root.modelRollouts, '/modelRollouts', 'flag')) modelRollout(r, at);
  for (const [, e, at] of entries(root.experiments, '/experiments', 'id')) experiment(e, at);
  for (const [, c, at] of entries(root.canaries, '/canaries', 'flag')) canary(c, at);
  for (const [, m, at] of entries(root.embeddingMigrations, '/embeddingMigrations', 'id')) embeddingMigration(m, at);
  for (const [, m, at] of entries(root.schemaMigrations, '/schemaMigrations', 'id')) schemaMigration(m, at);
}

/** A model alias: its provider (each type with the fields it needs), snapshot, params and rollout. */
function model(m: JsonObject, at: string): void {
  const provider = object(m.provider, `${at}/provider`);
  oneOf(provider.type, ['openai', 'openai-compatible', 'anthropic', 'ollama', 'http'], `${at}/provider/type`);
  if (provider.type === 'openai-compatible' || provider.type === 'anthropic' || provider.type === 'ollama')
    string(provider.baseUrl, `${at}/provider/baseUrl`);
  if (provider.type === 'http') {
    string(provider.url, `${at}/provider/url`);
    oneOf(provider.method, ['POST', 'PUT'], `${at}/provider/method`);
  }
  string(m.snapshot, `${at}/snapshot`);
  params(m.params, `${at}/params`);
  oneOf(m.conversations, ['pinned', 'follow'], `${at}/conversations`);
  stringArray(m.retired, `${at}/retired`);
  nullableString(m.rollout, `${at}/rollout`);
}

/** A prompt: its versions (each keyed by its number, with its messages) and the active one among them. */
function prompt(p: JsonObject, at: string): void {
  if (p.active !== null) number(p.active, `${at}/active`);
  nullableString(p.experiment, `${at}/experiment`);
  for (const [key, v, vat] of entries(p.versions, `${at}/versions`)) {
    if (v.version !== Number(key)) fail(`${vat}/version`, `must equal its key ${key}`);
    oneOf(v.status, ['draft', 'active', 'deprecated'], `${vat}/status`);
    string(v.model, `${vat}/model`);
    params(v.params, `${vat}/params`);
    array(v.messages, `${vat}/messages`).forEach((message, i) => {
      const msg = object(message, `${vat}/messages/${i}`);
      oneOf(msg.role, ['system', 'user', 'assistant'], `${vat}/messages/${i}/role`);
      string(msg.content, `${vat}/messages/${i}/content`);
    });
    stringArray(v.variables, `${vat}/variables`);
  }
  if (p.active !== null && !Object.hasOwn(object(p.versions, `${at}/versions`), String(p.active))) {
    fail(`${at}/active`, 'must name one of the versions');
  }
}

/** A flag: its kind, seed, unit, threshold (ppm), kill switch and stages. */
function flag(f: JsonObject, at: string): void {
  oneOf(f.kind, ['Flag', 'ModelRollout', 'Canary'], `${at}/kind`);
  string(f.seed, `${at}/seed`);
  string(f.unit, `${at}/unit`);
  number(f.percent, `${at}/percent`);
  ppm(f.thresholdPpm, `${at}/thresholdPpm`);
  boolean(f.killed, `${at}/killed`);
  array(f.stages, `${at}/stages`).forEach((s, i) => number(s, `${at}/stages/${i}`));
}

/** A model rollout: the models it moves between and its shadow sample and gate. */
function modelRollout(r: JsonObject, at: string): void {
  string(r.model, `${at}/model`);
  string(r.from, `${at}/from`);
  string(r.to, `${at}/to`);
  const shadow = object(r.shadow, `${at}/shadow`);
  string(shadow.dataset, `${at}/shadow/dataset`);
  number(shadow.sampleRate, `${at}/shadow/sampleRate`);
  ppm(shadow.sampleRatePpm, `${at}/shadow/sampleRatePpm`);
  const gate = object(shadow.gate, `${at}/shadow/gate`);
  number(gate.minAvgSimilarity, `${at}/shadow/gate/minAvgSimilarity`);
  number(gate.minMinSimilarity, `${at}/shadow/gate/minMinSimilarity`);
}

/** An experiment: its variants, whose slots (ppm) must tile the range in order, and its metrics. */
function experiment(e: JsonObject, at: string): void {
  oneOf(e.status, ['draft', 'running', 'stopped'], `${at}/status`);
  string(e.prompt, `${at}/prompt`);
  string(e.unit, `${at}/unit`);
  string(e.seed, `${at}/seed`);
  number(e.traffic, `${at}/traffic`);
  let previousEnd = 0;
  array(e.variants, `${at}/variants`).forEach((variant, i) => {
    const vat = `${at}/variants/${i}`;
    const v = object(variant, vat);
    string(v.name, `${vat}/name`);
    number(v.version, `${vat}/version`);
    number(v.weight, `${vat}/weight`);
    const start = ppm(v.slotStart, `${vat}/slotStart`);
    const end = ppm(v.slotEnd, `${vat}/slotEnd`);
    const enrolledEnd = ppm(v.enrolledEnd, `${vat}/enrolledEnd`);
    if (start !== previousEnd || end < start || enrolledEnd < start || enrolledEnd > end) {
      fail(vat, 'slots must be contiguous, ordered, with slotStart ≤ enrolledEnd ≤ slotEnd');
    }
    previousEnd = end;
  });
  const metrics = object(e.metrics, `${at}/metrics`);
  string(metrics.primary, `${at}/metrics/primary`);
  stringArray(metrics.guardrails, `${at}/metrics/guardrails`);
  number(e.minSamples, `${at}/minSamples`);
}

/** A canary: the control and candidate pipelines and the analysis that advances or reverts it. */
function canary(c: JsonObject, at: string): void {
  pipeline(c.control, `${at}/control`);
  pipeline(c.candidate, `${at}/candidate`);
  const analysis = object(c.analysis, `${at}/analysis`);
  string(analysis.metric, `${at}/analysis/metric`);
  number(analysis.revertBelow, `${at}/analysis/revertBelow`);
  number(analysis.advanceAbove, `${at}/analysis/advanceAbove`);
  number(analysis.minSamples, `${at}/analysis/minSamples`);
  if (analysis.next !== null) number(analysis.next, `${at}/analysis/next`);
}

/** An embedding migration: phase, stores (at least one read store) and backfill settings. */
function embeddingMigration(m: JsonObject, at: string): void {
  oneOf(m.phase, ['dual-write', 'backfill', 'dual-read', 'cutover', 'complete'], `${at}/phase`);
  target(m.from, `${at}/from`);
  target(m.to, `${at}/to`);
  array(m.write, `${at}/write`).forEach((t, i) => target(t, `${at}/write/${i}`));
  const read = array(m.read, `${at}/read`);
  if (read.length === 0) fail(`${at}/read`, 'must name at least one store');
  read.forEach((t, i) => target(t, `${at}/read/${i}`));
  const backfill = object(m.backfill, `${at}/backfill`);
  number(backfill.batchSize, `${at}/backfill/batchSize`);
  number(backfill.concurrency, `${at}/backfill/concurrency`);
  boolean(backfill.active, `${at}/backfill/active`);
}

/** A schema migration: the entity, versions, mode and the upgrade that maps old rows to new. */
function schemaMigration(m: JsonObject, at: string): void {
  string(m.entity, `${at}/entity`);
  number(m.from, `${at}/from`);
  number(m.to, `${at}/to`);
  oneOf(m.mode, ['lazy', 'background'], `${at}/mode`);
  const upgrade = object(m.upgrade, `${at}/upgrade`);
  object(upgrade.add, `${at}/upgrade/add`);
  for (const [key, value] of Object.entries(object(upgrade.rename, `${at}/upgrade/rename`)))
    string(value, `${at}/upgrade/rename/${key}`);
  object(upgrade.addToMessages, `${at}/upgrade/addToMessages`);
  if (upgrade.copyToMessages !== undefined) {
    for (const [key, value] of Object.entries(object(upgrade.copyToMessages, `${at}/upgrade/copyToMessages`)))
      string(value, `${at}/upgrade/copyToMessages/${key}`);
  }
  number(m.batchSize, `${at}/batchSize`);
}

/** Returns why a parsed value is not a valid payload, or undefined when it is. Never throws. */
export function payloadShapeError(doc: JsonValue): string | undefined {
  try {
    checkPayload(doc);
    return undefined;
  } catch (error) {
    if (error instanceof ShapeError) return error.message;
    return `payload could not be checked: ${(error as Error).message}`;
  }
}
