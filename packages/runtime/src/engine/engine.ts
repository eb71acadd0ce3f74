/**
 * The resolution engine: one reference to the current immutable decision table, swapped
 * atomically, and resolution methods that never throw.
 *
 * Every method reads `this.current` exactly once, so an answer is always decided under one serial
 * even while the client swaps tables. Events go to the sink through `emit`, which swallows a
 * misbehaving sink: a resolution never fails because of telemetry.
 */
import { bucketWithPrefix } from '../bucketing/bucket.ts';
import type { EventSink, MetricEvent, ShadowEvent, SwitchyardEvent } from '../events/types.ts';
import { upgradeRecord } from '../migrations/upgrade-record.ts';
import type { UpgradeResult } from '../migrations/upgrade-record.ts';
import { diffPayloads } from './diff.ts';
import type { BundleChange } from './diff.ts';
import type { DecisionTable, ExperimentEntry, FlagEntry, ModelEntry } from './table.ts';
import { renderTemplate } from './template.ts';
import type {
  CanaryValue,
  EmbeddingRouteValue,
  ExperimentValue,
  ModelContext,
  ModelResolution,
  PromptContext,
  PromptValue,
  Reason,
  RenderedMessage,
  Resolution,
  ResolutionErrorCode,
  Rule,
  ShadowContext,
  ShadowValue,
  UnitContext,
} from './types.ts';

export interface EngineOptions {
  sink?: EventSink | null;
  /**
   * Which exposures to emit. Experiments (assignExperiment, getPrompt), canaries and model rollouts
   * (a fresh, unpinned decision) are on by default; plain flags are off (they are rarely analysed
   * and are the highest-volume call).
   */
  exposures?: { experiments?: boolean; canaries?: boolean; modelRollouts?: boolean; flags?: boolean };
}

/** Input of {@link Engine.recordMetric}: the event without what the engine fills in. */
export type MetricInput = Omit<MetricEvent, 'type' | 'time' | 'serial' | 'env'> & { time?: number };
/** Input of {@link Engine.recordShadow}. */
export type ShadowInput = Omit<ShadowEvent, 'type' | 'time' | 'serial' | 'env'> & { time?: number };

// Outcome codes of a percentage decision; numbers, not objects, so the hot path allocates nothing.
const OUT = 0;
const IN = 1;
const KILLED = 2;
const NO_UNIT = 3;

function decideFlag(f: FlagEntry, unitKey: string | undefined): number {
  if (f.killed) return KILLED;
  if (f.thresholdPpm >= 1_000_000) return IN;
  if (f.thresholdPpm <= 0) return OUT;
  if (typeof unitKey !== 'string') return NO_UNIT;
  return bucketWithPrefix(f.prefix, unitKey) < f.thresholdPpm ? IN : OUT;
}

/** Index of the variant whose enrolled range holds the unit's bucket, or -1. */
function slotIndex(e: ExperimentEntry, unitKey: string): number {
  const b = bucketWithPrefix(e.prefix, unitKey);
  const n = e.slotStart.length;
  for (let i = 0; i < n; i++) {
    if (b < (e.slotEnd[i] as number))
      return b >= (e.slotStart[i] as number) && b < (e.enrolledEnd[i] as number) ? i : -1;
  }
  return -1;
}

const EMPTY_PARAMS = Object.freeze({});

function snapshotOf(m: ModelEntry, outcome: number): string {
  return outcome === IN && m.rollout !== null ? m.rollout.to : m.snapshot;
}

function ruleOf(outcome: number): Rule {
  return outcome === IN ? 'rollout' : outcome === KILLED ? 'killed' : outcome === NO_UNIT ? 'error' : 'default';
}

export class Engine {
  private current: DecisionTable | null = null;
  private stale = false;
  private readonly sink: EventSink | null;
  private readonly xExperiments: boolean;
  private readonly xCanaries: boolean;
  private readonly xRollouts: boolean;
  private readonly xFlags: boolean;
  /** Events a throwing sink refused (sinks should count their own drops; this is the backstop). */
  sinkFailures = 0;
  /** `recordMetric`/`recordShadow` calls dropped because their input was not a readable object. */
  droppedEvents = 0;

  constructor(options: EngineOptions = {}) {
    this.sink = options.sink ?? null;
    this.xExperiments = options.exposures?.experiments ?? true;
    this.xCanaries = options.exposures?.canaries ?? true;
    this.xRollouts = options.exposures?.modelRollouts ?? true;
    this.xFlags = options.exposures?.flags ?? false;
  }

  /** The table being served (null before the first swap). */
  table(): DecisionTable | null {
    return this.current;
  }

  /** Replaces the table in one assignment and returns what changed. */
  swap(next: DecisionTable): BundleChange {
    const prev = this.current;
    this.current = next;
    this.stale = false;
    return diffPayloads(prev?.payload ?? null, next.payload, prev?.meta.serial ?? 0, next.meta.serial);
  }

  /** Marks the current table expired (still served; answers say `stale`). */
  setStale(stale: boolean): void {
    this.stale = stale;
  }

  isStale(): boolean {
    return this.stale;
  }

  private reason(rule: Rule): Reason {
    return this.stale && rule !== 'error' ? 'stale' : rule;
  }

  private emit(event: SwitchyardEvent): void {
    if (this.sink === null) return;
    try {
      this.sink.write(event);
    } catch {
      this.sinkFailures++;
    }
  }

  private exposure(
    t: DecisionTable,
    subject: 'experiment' | 'flag' | 'canary' | 'model-rollout',
    key: string,
    variant: string,
    unitKey: string,
  ): void {
    this.emit({
      type: 'exposure',
      time: Date.now(),
      serial: t.meta.serial,
      env: t.meta.env,
      subject,
      key,
      variant,
      unitKey,
    });
  }

  /** Outcome code (OUT/IN/KILLED/NO_UNIT) of a fresh decision for this model; no allocation. */
  private decideModel(m: ModelEntry, unitKey: string | undefined): number {
    return m.rollout === null ? OUT : decideFlag(m.rollout.flag, unitKey);
  }

  /**
   * Which snapshot serves `alias` for this unit and conversation. A pinned conversation keeps its
   * snapshot unless it is retired, in which case it is moved deliberately (rule `migrated`, with a
   * migration event) to what a new conversation would get, or unless it is the target of a killed
   * rollout: then it moves back to the model's snapshot (rule `killed`, `migratedFrom` set, with a
   * migration event). `pin` is what to store on the conversation.
   */
  resolveModel(alias: string, ctx?: ModelContext): ModelResolution {
    const t = this.current;
    if (t === null) return modelError(alias, 'NOT_READY', 0);
    try {
      const m = t.models.get(alias);
      if (m === undefined) return modelError(alias, 'NOT_FOUND', t.meta.serial);
      const unitKey = ctx?.unitKey;
      const stored = ctx?.conversation?.snapshot;
      if (m.pinned && typeof stored === 'string' && stored !== '') {
        const r = m.rollout;
        // A killed rollout is an emergency stop of its target snapshot: conversations pinned to it
        // move back to the model's snapshot (deliberately, with an event), like a retired snapshot.
        if (r !== null && r.flag.killed && stored === r.to && stored !== m.snapshot) {
          this.emitModelMigration(t, alias, ctx?.conversation?.id, stored, m.snapshot);
          return this.model(t, m, m.snapshot, 'killed', stored);
        }
        if (!m.retired.has(stored)) return this.model(t, m, stored, 'pinned', undefined);
        const to = snapshotOf(m, this.decideModel(m, unitKey));
        this.emitModelMigration(t, alias, ctx?.conversation?.id, stored, to);
        return this.model(t, m, to, 'migrated', stored);
      }
      const d = this.decideModel(m, unitKey);
      // A rollout at 0% is attached only so shadow() can sample it: nobody is exposed to it yet.
      if (
        this.xRollouts &&
        m.rollout !== null &&
        m.rollout.flag.thresholdPpm > 0 &&
        (d === IN || d === OUT) &&
        typeof unitKey === 'string'
      ) {
        this.exposure(t, 'model-rollout', m.rollout.flag.name, d === IN ? 'candidate' : 'control', unitKey);
      }
      return this.model(t, m, snapshotOf(m, d), ruleOf(d), undefined);
    } catch {
      return modelError(alias, 'INTERNAL', t.meta.serial);
    }
  }

  private emitModelMigration(
    t: DecisionTable,
    alias: string,
    subjectId: string | undefined,
    from: string,
    to: string,
  ): void {
    this.emit({
      type: 'migration',
      time: Date.now(),
      serial: t.meta.serial,
      env: t.meta.env,
      migration: 'conversation-model',
      key: alias,
      subjectId,
      from,
      to,
    });
  }

  private model(
    t: DecisionTable,
    m: ModelEntry,
    snapshot: string,
    rule: Rule,
    migratedFrom: string | undefined,
  ): ModelResolution {
    const r: ModelResolution = {
      value: snapshot,
      reason: this.reason(rule),
      rule,
      serial: t.meta.serial,
      alias: m.alias,
      provider: m.provider,
      params: m.params,
      // No unit key means no decision was made: nothing the application should store.
      pin: m.pinned && rule !== 'error' ? snapshot : null,
    };
    if (rule === 'error') r.errorCode = 'MISSING_UNIT_KEY';
    if (migratedFrom !== undefined) r.migratedFrom = migratedFrom;
    return r;
  }

  /** Whether a flag is on for this unit (killed → off for everyone). Unknown flag → false, `error`. */
  isEnabled(flag: string, ctx?: UnitContext): Resolution<boolean> {
    const t = this.current;
    if (t === null) return errorOf(false, 'NOT_READY', 0);
    try {
      const f = t.flags.get(flag);
      if (f === undefined) return errorOf(false, 'NOT_FOUND', t.meta.serial);
      const unitKey = ctx?.unitKey;
      const d = decideFlag(f, unitKey);
      if (d === NO_UNIT) return errorOf(false, 'MISSING_UNIT_KEY', t.meta.serial);
      if (this.xFlags && d !== KILLED && typeof unitKey === 'string')
        this.exposure(t, 'flag', flag, d === IN ? 'on' : 'off', unitKey);
      // OUT, IN and KILLED index the table's precomputed (frozen) answers: no allocation per call.
      return (this.stale ? t.staleFlagAnswers : t.flagAnswers)[d] as Resolution<boolean>;
    } catch {
      return errorOf(false, 'INTERNAL', t.meta.serial);
    }
  }

  /** The experiment variant for this unit, with an exposure event when enrolled. */
  assignExperiment(id: string, ctx?: UnitContext): Resolution<ExperimentValue> {
    const t = this.current;
    if (t === null) return errorOf(NOT_ENROLLED, 'NOT_READY', 0);
    try {
      const e = t.experiments.get(id);
      if (e === undefined) return errorOf(NOT_ENROLLED, 'NOT_FOUND', t.meta.serial);
      if (!e.running)
        return { value: NOT_ENROLLED, reason: this.reason('default'), rule: 'default', serial: t.meta.serial };
      const unitKey = ctx?.unitKey;
      if (typeof unitKey !== 'string') return errorOf(NOT_ENROLLED, 'MISSING_UNIT_KEY', t.meta.serial);
      const i = slotIndex(e, unitKey);
      if (i < 0) return { value: NOT_ENROLLED, reason: this.reason('default'), rule: 'default', serial: t.meta.serial };
      const variant = e.names[i] as string;
      if (this.xExperiments) this.exposure(t, 'experiment', id, variant, unitKey);
      return (this.stale ? e.staleAnswers : e.answers)[i] as Resolution<ExperimentValue>;
    } catch {
      return errorOf(NOT_ENROLLED, 'INTERNAL', t.meta.serial);
    }
  }

  /**
   * The prompt version for this unit (experiment variant when enrolled in a running experiment,
   * else the active version), rendered with `vars`, with the model snapshot and params to call.
   */
  getPrompt(name: string, ctx?: PromptContext): Resolution<PromptValue | null> {
    const t = this.current;
    if (t === null) return errorOf(null, 'NOT_READY', 0);
    try {
      const p = t.prompts.get(name);
      if (p === undefined) return errorOf(null, 'NOT_FOUND', t.meta.serial);
      const unitKey = ctx?.unitKey;
      let version = p.active;
      let variant: string | null = null;
      let rule: Rule = 'default';
      const e = p.experiment;
      if (e !== null && e.running && typeof unitKey === 'string') {
        const i = slotIndex(e, unitKey);
        if (i >= 0) {
          const v = p.versions.get(e.versions[i] as number);
          if (v !== undefined) {
            version = v;
            variant = e.names[i] as string;
            rule = 'experiment';
            if (this.xExperiments) this.exposure(t, 'experiment', e.id, variant, unitKey);
          }
        }
      }
      if (version === null) return errorOf(null, 'NO_ACTIVE_VERSION', t.meta.serial);
      const model = this.resolveModel(version.model, { unitKey, conversation: ctx?.conversation ?? null });
      const missingVars: string[] = [];
      const messages: RenderedMessage[] = new Array(version.templates.length);
      for (let i = 0; i < version.templates.length; i++) {
        messages[i] = {
          role: version.roles[i] as RenderedMessage['role'],
          content: renderTemplate(version.templates[i]!, ctx?.vars, missingVars),
        };
      }
      return {
        value: {
          name,
          version: version.version,
          variant,
          experiment: variant === null ? null : (e as ExperimentEntry).id,
          messages,
          model: { alias: version.model, snapshot: model.value, reason: model.reason },
          params: version.params,
          missingVars,
        },
        reason: this.reason(rule),
        rule,
        serial: t.meta.serial,
      };
    } catch {
      return errorOf(null, 'INTERNAL', t.meta.serial);
    }
  }

  /** The pipeline settings (candidate or control) for this unit, with an exposure event. */
  canary(id: string, ctx?: UnitContext): Resolution<CanaryValue | null> {
    const t = this.current;
    if (t === null) return errorOf(null, 'NOT_READY', 0);
    try {
      const c = t.canaries.get(id);
      if (c === undefined) return errorOf(null, 'NOT_FOUND', t.meta.serial);
      const unitKey = ctx?.unitKey;
      const d = decideFlag(c.flag, unitKey);
      if (d === NO_UNIT) {
        return {
          value: { variant: 'control', pipeline: c.spec.control },
          reason: 'error',
          rule: 'error',
          serial: t.meta.serial,
          errorCode: 'MISSING_UNIT_KEY',
        };
      }
      const variant = d === IN ? 'candidate' : 'control';
      if (this.xCanaries && d !== KILLED && typeof unitKey === 'string')
        this.exposure(t, 'canary', id, variant, unitKey);
      const rule: Rule = d === IN ? 'rollout' : d === KILLED ? 'killed' : 'default';
      return {
        value: { variant, pipeline: d === IN ? c.spec.candidate : c.spec.control },
        reason: this.reason(rule),
        rule,
        serial: t.meta.serial,
      };
    } catch {
      return errorOf(null, 'INTERNAL', t.meta.serial);
    }
  }

  /** Where to write and in which order to read embeddings in the migration's current phase. */
  embeddingRoute(migration: string): Resolution<EmbeddingRouteValue | null> {
    const t = this.current;
    if (t === null) return errorOf(null, 'NOT_READY', 0);
    const route = t.embeddings.get(migration);
    if (route === undefined) return errorOf(null, 'NOT_FOUND', t.meta.serial);
    return { value: route, reason: this.reason('default'), rule: 'default', serial: t.meta.serial };
  }

  /**
   * Whether to call the rollout's candidate snapshot beside the primary. Sampling hashes under
   * `seed|shadow` (independent of the rollout bucket) over the request id when given, else the unit.
   * Units already on the candidate are not shadowed (there is nothing to compare).
   */
  shadow(alias: string, ctx?: ShadowContext): Resolution<ShadowValue> {
    const t = this.current;
    if (t === null) return errorOf(NO_SHADOW, 'NOT_READY', 0);
    try {
      const m = t.models.get(alias);
      if (m === undefined) return errorOf(NO_SHADOW, 'NOT_FOUND', t.meta.serial);
      const r = m.rollout;
      if (r === null)
        return {
          value: { shadow: false, rollout: null, primary: m.snapshot, candidate: null },
          reason: this.reason('default'),
          rule: 'default',
          serial: t.meta.serial,
        };
      const unitKey = ctx?.unitKey;
      const stored = ctx?.conversation?.snapshot;
      const primary =
        m.pinned && typeof stored === 'string' && stored !== '' && !m.retired.has(stored)
          ? stored
          : snapshotOf(m, this.decideModel(m, unitKey));
      const flag = r.flag.name;
      if (r.flag.killed)
        return {
          value: { shadow: false, rollout: flag, primary, candidate: null },
          reason: this.reason('killed'),
          rule: 'killed',
          serial: t.meta.serial,
        };
      const key = ctx?.requestId ?? unitKey;
      if (typeof key !== 'string')
        return {
          value: { shadow: false, rollout: flag, primary, candidate: null },
          reason: 'error',
          rule: 'error',
          serial: t.meta.serial,
          errorCode: 'MISSING_UNIT_KEY',
        };
      if (primary === r.to || bucketWithPrefix(r.shadowPrefix, key) >= r.sampleRatePpm) {
        return {
          value: { shadow: false, rollout: flag, primary, candidate: null },
          reason: this.reason('default'),
          rule: 'default',
          serial: t.meta.serial,
        };
      }
      return {
        value: { shadow: true, rollout: flag, primary, candidate: r.to },
        reason: this.reason('rollout'),
        rule: 'rollout',
        serial: t.meta.serial,
      };
    } catch {
      return errorOf(NO_SHADOW, 'INTERNAL', t.meta.serial);
    }
  }

  /**
   * Records an application observation (feedback, relevance, latency …) under the current serial.
   * Never throws: an input that is not a readable object is dropped and counted in `droppedEvents`.
   */
  recordMetric(input: MetricInput): void {
    const event = this.stamp(input, 'metric');
    if (event === null) this.droppedEvents++;
    else this.emit(event as unknown as MetricEvent);
  }

  /** Records one shadowed request (primary and candidate answers, similarity when scored). Never throws. */
  recordShadow(input: ShadowInput): void {
    const event = this.stamp(input, 'shadow');
    if (event === null) this.droppedEvents++;
    else this.emit(event as unknown as ShadowEvent);
  }

  /** The input stamped with type, time, serial and env; null when it cannot be read (null, getters that throw …). */
  private stamp(input: unknown, type: 'metric' | 'shadow'): Record<string, unknown> | null {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) return null;
    try {
      const t = this.current;
      const { time, ...rest } = input as { time?: unknown };
      return { ...rest, type, time: time ?? Date.now(), serial: t?.meta.serial ?? 0, env: t?.meta.env ?? '' };
    } catch {
      return null;
    }
  }

  /**
   * Upgrades a record with the bundle's schema migration `id` (pure, idempotent) and emits a
   * migration event when it changed. `subjectId` defaults to the record's `id`.
   */
  upgrade(
    id: string,
    record: unknown,
    subjectId?: string,
  ):
    | UpgradeResult
    | { ok: false; code: 'NOT_READY' | 'NOT_FOUND' | 'INVALID_ARGUMENT'; message: string; record: unknown } {
    const t = this.current;
    if (t === null) return { ok: false, code: 'NOT_READY', message: 'no bundle loaded', record };
    try {
      const m = t.schemaMigrations.get(id);
      if (m === undefined)
        return { ok: false, code: 'NOT_FOUND', message: `no schema migration ${String(id)}`, record };
      const r = upgradeRecord(m, record);
      if (r.ok && r.changed) {
        const rid =
          typeof subjectId === 'string' ? subjectId : typeof r.record.id === 'string' ? r.record.id : undefined;
        this.emit({
          type: 'migration',
          time: Date.now(),
          serial: t.meta.serial,
          env: t.meta.env,
          migration: 'schema',
          key: id,
          subjectId: rid,
          from: String(r.from),
          to: String(r.to),
        });
      }
      return r;
    } catch (e) {
      return {
        ok: false,
        code: 'INVALID_ARGUMENT',
        message: `record could not be upgraded: ${e instanceof Error ? e.message : String(e)}`,
        record,
      };
    }
  }
}

const NOT_ENROLLED: ExperimentValue = Object.freeze({ variant: null, version: null });
const NO_SHADOW: ShadowValue = Object.freeze({ shadow: false, rollout: null, primary: null, candidate: null });

function errorOf<T>(value: T, code: ResolutionErrorCode, serial: number): Resolution<T> {
  return { value, reason: 'error', rule: 'error', serial, errorCode: code };
}

function modelError(alias: string, code: ResolutionErrorCode, serial: number): ModelResolution {
  return {
    value: null,
    reason: 'error',
    rule: 'error',
    serial,
    errorCode: code,
    alias,
    provider: null,
    params: EMPTY_PARAMS,
    pin: null,
  };
}
