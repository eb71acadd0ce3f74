/**
 * Events the runtime (and the application, through the client) emits. They are the evidence that
 * analysis turns into rollout decisions, so every event carries the bundle serial it was decided
 * under, what it concerns, the unit and the time.
 *
 * Sinks must never block or fail a resolution: `write` is synchronous, cheap and does not throw;
 * anything slow (files, databases) is buffered and flushed asynchronously, and what cannot be kept
 * is counted in `stats().dropped`, never silently lost.
 */

interface EventBase {
  /** Epoch milliseconds. */
  time: number;
  /** Serial of the bundle the decision was made under (0 when none was loaded). */
  serial: number;
  env: string;
}

/** A unit saw a variant of an experiment, flag, canary or model rollout. */
export interface ExposureEvent extends EventBase {
  type: 'exposure';
  subject: 'experiment' | 'flag' | 'canary' | 'model-rollout';
  /** Experiment id or flag name. */
  key: string;
  /** Variant name (experiments), `on`/`off` (flags), `candidate`/`control` (canaries, rollouts). */
  variant: string;
  unitKey: string;
}

/** One shadowed request: the primary answer and the candidate's, with their similarity when scored. */
export interface ShadowEvent extends EventBase {
  type: 'shadow';
  /** ModelRollout flag name. */
  rollout: string;
  model: string;
  primary: string;
  candidate: string;
  unitKey: string;
  requestId?: string;
  similarity?: number;
  primaryOutput?: string;
  candidateOutput?: string;
  primaryLatencyMs?: number;
  candidateLatencyMs?: number;
  error?: string;
}

/** An application-recorded observation (feedback, relevance, latency, cost, errors …). */
export interface MetricEvent extends EventBase {
  type: 'metric';
  subject: 'experiment' | 'flag' | 'canary' | 'model-rollout';
  key: string;
  variant: string;
  unitKey: string;
  metric: string;
  value: number;
}

/** A deliberate migration: a conversation moved off a retired snapshot, or a record upgraded. */
export interface MigrationEvent extends EventBase {
  type: 'migration';
  migration: 'conversation-model' | 'schema';
  /** Model alias or SchemaMigration id. */
  key: string;
  subjectId?: string;
  from: string;
  to: string;
}

export type SwitchyardEvent = ExposureEvent | ShadowEvent | MetricEvent | MigrationEvent;

export interface SinkStats {
  /** Events accepted by `write`. */
  accepted: number;
  /** Events durably written (acknowledged by the backend). */
  written: number;
  /** Events that could not be kept (buffer full, backend failing past retries). */
  dropped: number;
  /** Last backend error, if any. */
  lastError?: string;
}

export interface EventSink {
  /** Synchronous and non-throwing: buffers the event or counts it as dropped. */
  write(event: SwitchyardEvent): void;
  /** Resolves when everything accepted so far is written or counted as dropped. */
  flush(): Promise<void>;
  close(): Promise<void>;
  stats(): SinkStats;
}
