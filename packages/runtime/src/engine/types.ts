/**
 * What the resolution API answers. Every answer carries the value, the reason it was chosen, the
 * rule underneath and the serial of the bundle it was decided under, so a caller can log or debug a
 * decision without asking again.
 */
import type {
  PayloadEmbeddingTarget,
  PayloadModelParams,
  PayloadPipeline,
  PayloadProvider,
} from '../bundle/payload.ts';

/**
 * Why a value was chosen.
 * - `pinned`: the conversation keeps the snapshot it started on.
 * - `migrated`: the conversation's snapshot is retired; it was moved deliberately (a migration event is emitted).
 * - `rollout`: the unit is inside a rollout, canary or flag percentage.
 * - `experiment`: the unit is enrolled in a running experiment.
 * - `default`: the configured default (outside the rollout, not enrolled, no experiment, the current phase).
 * - `killed`: the flag is killed: the default is served to everyone.
 * - `stale`: the bundle has expired; the value is still the last good decision (see `rule`).
 * - `error`: the question could not be answered (see `errorCode`); `value` is the safe fallback.
 */
export type Reason = 'pinned' | 'migrated' | 'rollout' | 'experiment' | 'default' | 'killed' | 'stale' | 'error';

/** The decision rule behind an answer: `reason` without the `stale` overlay. */
export type Rule = Exclude<Reason, 'stale'>;

/** Stable codes for answers with reason `error`. */
export type ResolutionErrorCode =
  'NOT_READY' | 'NOT_FOUND' | 'MISSING_UNIT_KEY' | 'NO_ACTIVE_VERSION' | 'INVALID_ARGUMENT' | 'INTERNAL';

export interface Resolution<T> {
  value: T;
  reason: Reason;
  rule: Rule;
  /** Serial of the bundle this was decided under (0 when none is loaded). */
  serial: number;
  errorCode?: ResolutionErrorCode;
}

export interface UnitContext {
  /** The bucketing unit, e.g. the user id. */
  unitKey?: string;
}

/** What the application stores on a conversation to keep it on one snapshot. */
export interface ConversationRef {
  id?: string;
  /** The snapshot stored when the conversation started, if any. */
  snapshot?: string | null;
}

export interface ModelContext extends UnitContext {
  conversation?: ConversationRef | null;
}

export interface ModelResolution extends Resolution<string | null> {
  alias: string;
  provider: PayloadProvider | null;
  params: PayloadModelParams;
  /** The snapshot to store on the conversation (null when the alias follows, not pins, and on errors). */
  pin: string | null;
  /** The retired snapshot the conversation was moved off, when `rule` is `migrated`. */
  migratedFrom?: string;
}

export interface PromptContext extends UnitContext {
  vars?: Record<string, unknown>;
  conversation?: ConversationRef | null;
}

export interface RenderedMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface PromptValue {
  name: string;
  version: number;
  /** Experiment variant name when the version came from an experiment. */
  variant: string | null;
  experiment: string | null;
  messages: RenderedMessage[];
  model: { alias: string; snapshot: string | null; reason: Reason };
  params: PayloadModelParams;
  /** Placeholders with no value in `vars`; they are left verbatim in the messages. */
  missingVars: string[];
}

export interface ExperimentValue {
  /** Variant name, or null when the unit is not enrolled (serve the default). */
  variant: string | null;
  /** Prompt version of the variant (null when not enrolled). */
  version: number | null;
}

export interface CanaryValue {
  variant: 'candidate' | 'control';
  pipeline: PayloadPipeline;
}

export interface EmbeddingRouteValue {
  phase: 'dual-write' | 'backfill' | 'dual-read' | 'cutover' | 'complete';
  /** Write every new document to each of these. */
  write: readonly PayloadEmbeddingTarget[];
  /** Read from the first; fall back to the next when it has no result. */
  read: readonly PayloadEmbeddingTarget[];
  backfillActive: boolean;
}

export interface ShadowContext extends UnitContext {
  /** When given, sampling is per request; otherwise per unit. */
  requestId?: string;
  conversation?: ConversationRef | null;
}

export interface ShadowValue {
  shadow: boolean;
  /** ModelRollout flag that asks for the shadow. */
  rollout: string | null;
  /** Snapshot serving the user. */
  primary: string | null;
  /** Snapshot to call beside it (null when not shadowing). */
  candidate: string | null;
}
