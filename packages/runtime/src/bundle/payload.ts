/**
 * The bundle payload: the compiled, normalised configuration of one environment.
 *
 * The compiler (`src/bundle/compile.ts`) writes it as RFC 8785 canonical JSON; the runtime reads it
 * and builds its decision table from it without further derivation. Everything the hot path needs
 * (thresholds in parts per million, experiment slots, embedding routes per phase) is precomputed
 * here so that the runtime does no arithmetic beyond one hash and a comparison.
 *
 * Changing this shape is a format change: bump `PAYLOAD_FORMAT` and keep the reader accepting the
 * previous value for one release.
 */

export const PAYLOAD_FORMAT = 1;

/** Parts per million: the unit of every bucketing threshold. */
export type Ppm = number;

export interface PayloadModelParams {
  temperature?: number;
  top_p?: number;
  max_tokens?: number;
  seed?: number;
  presence_penalty?: number;
  frequency_penalty?: number;
}

/**
 * Where a model is served, so an application can route its own calls. Secrets never appear: keys
 * and headers are named by environment variable in the model YAML and stay out of the bundle.
 * `anthropic` and `ollama` carry their base URL with the default filled in; `http` its URL and method.
 */
export type PayloadProvider =
  | { type: 'openai' }
  | { type: 'openai-compatible'; baseUrl: string }
  | { type: 'anthropic'; baseUrl: string }
  | { type: 'ollama'; baseUrl: string }
  | { type: 'http'; url: string; method: 'POST' | 'PUT' };

export interface PayloadModel {
  alias: string;
  provider: PayloadProvider;
  /** The default snapshot for new conversations outside any rollout. */
  snapshot: string;
  params: PayloadModelParams;
  conversations: 'pinned' | 'follow';
  retired: string[];
  /** Flag name of the active ModelRollout for this alias, if any. */
  rollout: string | null;
}

export interface PayloadPromptVersion {
  version: number;
  status: 'draft' | 'active' | 'deprecated';
  model: string;
  /** Effective parameters: the model pin's `params` overridden by the version's own. */
  params: PayloadModelParams;
  messages: Array<{ role: 'system' | 'user' | 'assistant'; content: string }>;
  variables: string[];
}

export interface PayloadPrompt {
  name: string;
  /** Active version number, or null when no version is active. */
  active: number | null;
  /** Version number (as a decimal string key) → version. Deprecated versions are kept for pinned conversations and rollback. */
  versions: Record<string, PayloadPromptVersion>;
  /** Running experiment on this prompt, if any. */
  experiment: string | null;
}

export interface PayloadFlag {
  name: string;
  kind: 'Flag' | 'ModelRollout' | 'Canary';
  seed: string;
  unit: string;
  percent: number;
  /** A unit is in when `bucket < thresholdPpm` (percent × 10 000; 0 when killed). */
  thresholdPpm: Ppm;
  killed: boolean;
  stages: number[];
}

export interface PayloadModelRollout {
  flag: string;
  model: string;
  from: string;
  to: string;
  shadow: {
    dataset: string;
    sampleRate: number;
    /** A request is shadowed when its shadow bucket is below this. */
    sampleRatePpm: Ppm;
    gate: { minAvgSimilarity: number; minMinSimilarity: number };
  };
}

export interface PayloadExperimentVariant {
  name: string;
  version: number;
  weight: number;
  /** The variant's fixed slot [slotStart, slotEnd) in the ppm space. */
  slotStart: Ppm;
  slotEnd: Ppm;
  /** Enrolled when slotStart <= bucket < enrolledEnd (slot scaled by traffic). */
  enrolledEnd: Ppm;
}

export interface PayloadExperiment {
  id: string;
  status: 'draft' | 'running' | 'stopped';
  prompt: string;
  unit: string;
  seed: string;
  traffic: number;
  /** Ordered by slot: `control` first, then the other variants by name. Slots tile [0, 1 000 000). */
  variants: PayloadExperimentVariant[];
  metrics: { primary: string; guardrails: string[] };
  minSamples: number;
}

export interface PayloadPipeline {
  embeddingModel: string;
  retrieval: 'semantic' | 'keyword' | 'hybrid';
  topK: number;
  index: string;
  [extra: string]: unknown;
}

export interface PayloadCanary {
  flag: string;
  control: PayloadPipeline;
  candidate: PayloadPipeline;
  analysis: {
    metric: string;
    revertBelow: number;
    advanceAbove: number;
    minSamples: number;
    next: number | null;
  };
}

export interface PayloadEmbeddingTarget {
  model: string;
  dimension: number;
  index: string;
  /**
   * Set only when the plan's vectors live in the application's own table (`storage:`): the table
   * (`schema.table`) and the vector column of this target. Absent in Switchyard's own tables, so
   * payloads of plans without `storage:` are unchanged.
   */
  table?: string;
  column?: string;
}

export interface PayloadEmbeddingMigration {
  id: string;
  phase: 'dual-write' | 'backfill' | 'dual-read' | 'cutover' | 'complete';
  from: PayloadEmbeddingTarget;
  to: PayloadEmbeddingTarget;
  /** Where new documents are written in the current phase. */
  write: PayloadEmbeddingTarget[];
  /** Read order: try the first, fall back to the next. */
  read: PayloadEmbeddingTarget[];
  backfill: { batchSize: number; concurrency: number; active: boolean };
}

export interface PayloadSchemaMigration {
  id: string;
  entity: string;
  from: number;
  to: number;
  mode: 'lazy' | 'background';
  upgrade: {
    add: Record<string, unknown>;
    rename: Record<string, string>;
    addToMessages: Record<string, unknown>;
    /**
     * Message field → record field whose value fills it in every message lacking it (after
     * `rename` and `add`; a missing or null source leaves the message unchanged). Optional: a
     * bundle without it (compiled before it existed, or not using it) copies nothing.
     */
    copyToMessages?: Record<string, string>;
  };
  batchSize: number;
}

export interface BundlePayload {
  format: typeof PAYLOAD_FORMAT;
  project: string;
  env: string;
  /** Git commit the payload was compiled from. */
  commit: string;
  models: Record<string, PayloadModel>;
  prompts: Record<string, PayloadPrompt>;
  flags: Record<string, PayloadFlag>;
  /** Keyed by flag name. */
  modelRollouts: Record<string, PayloadModelRollout>;
  experiments: Record<string, PayloadExperiment>;
  /** Keyed by flag name. */
  canaries: Record<string, PayloadCanary>;
  embeddingMigrations: Record<string, PayloadEmbeddingMigration>;
  schemaMigrations: Record<string, PayloadSchemaMigration>;
}
