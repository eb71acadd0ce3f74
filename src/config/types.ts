/**
 * The resource model: what the YAML files of a Switchyard repository contain once parsed and
 * schema-checked. The JSON Schemas in `schemas/` are the authority on shape; these types mirror them
 * and are what the compiler, the evaluator and the analysis code work with.
 *
 * Every resource has a *name field* that must equal its file stem (e.g. `rollouts/<flag>.yaml` has
 * `flag: <flag>`, `prompts/<prompt>/v<version>.yaml` has `prompt` and `version`).
 */

/** Names of prompts, models, flags, experiments, migrations, datasets and environments. */
export type Name = string;

/** Generation parameters passed through to the model provider. */
export interface ModelParams {
  temperature?: number;
  top_p?: number;
  max_tokens?: number;
  seed?: number;
  presence_penalty?: number;
  frequency_penalty?: number;
}

export type PromptStatus = 'draft' | 'active' | 'deprecated';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  /** Text with `{{variable}}` placeholders. */
  content: string;
}

/** One promptfoo assertion (`type` is one of promptfoo's assertion types, enumerated in the schema). */
/** A JSON value (promptfoo assertion values and test variables may be structured). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface AtomicAssertion {
  type: string;
  /** Text, number, list or object (e.g. a JSON Schema); `file://<path>` is read from the repository. */
  value?: JsonValue;
  threshold?: number;
  metric?: string;
  weight?: number;
  /** JavaScript applied to the output before this assertion. */
  transform?: string;
  config?: Record<string, JsonValue>;
}

/** promptfoo's assertion set: members scored together against `threshold`. */
export interface AssertionSet {
  type: 'assert-set';
  assert: AtomicAssertion[];
  threshold?: number;
  metric?: string;
  weight?: number;
}

export type Assertion = AtomicAssertion | AssertionSet;

export interface TestOptions {
  /** JavaScript applied to the output before every assertion of the case. */
  transform?: string;
}

export interface PromptTestCase {
  description?: string;
  vars: Record<string, JsonValue>;
  /** Optional when `defaultTest` has assertions (a case must end up with at least one). */
  assert?: Assertion[];
  options?: TestOptions;
}

/** promptfoo's `defaultTest`: merged into every case. */
export interface DefaultTest {
  vars?: Record<string, JsonValue>;
  assert?: Assertion[];
  options?: TestOptions;
}

export interface PromptTests {
  /** Share of cases (0..1) that must pass before this version may become `active`. */
  minPassRate: number;
  defaultTest?: DefaultTest;
  /** The cases, inline or loaded from the file `tests.cases: file://<path>` names (tests-file.ts). */
  cases: PromptTestCase[];
}

/** `prompts/<prompt>/v<version>.yaml` */
export interface PromptVersion {
  prompt: Name;
  version: number;
  status: PromptStatus;
  description?: string;
  /** Model alias (a file in `models/`). */
  model: Name;
  params?: ModelParams;
  messages: ChatMessage[];
  /** Declared placeholder names; every `{{x}}` in `messages` must be declared here. */
  variables: string[];
  tests: PromptTests;
}

/**
 * Where a model is served (`provider:` of models/<alias>.yaml). Keys and header values are named by
 * environment variable, never written in YAML (docs/resources.md#model-pin).
 */
export type ProviderConfig =
  | { type: 'openai'; apiKeyEnv?: string }
  | { type: 'openai-compatible'; baseUrl: string; apiKeyEnv?: string }
  | { type: 'anthropic'; baseUrl?: string; apiKeyEnv?: string }
  | { type: 'ollama'; baseUrl?: string }
  | HttpProviderConfig;

/** promptfoo's `http` provider, a small validated subset of its options (docs/evaluation.md). */
export interface HttpProviderConfig {
  type: 'http';
  url: string;
  method?: 'POST' | 'PUT';
  /** Header name → environment variable holding its value. */
  headersFromEnv?: Record<string, string>;
  /** JSON body template: `{{prompt}}` (messages as JSON), `{{snapshot}}`, test variables. */
  body?: Record<string, unknown>;
  /** promptfoo `transformResponse` expression (inline JavaScript, never a file). */
  transformResponse?: string;
}

/** USD per 1M tokens of one snapshot. */
export interface SnapshotPrice {
  input: number;
  output: number;
}

/** `models/<alias>.yaml` */
export interface ModelPin {
  alias: Name;
  description?: string;
  provider: ProviderConfig;
  /** A dated snapshot such as `gpt-4o-2024-05-13`, never a floating alias. */
  snapshot: string;
  params?: ModelParams;
  /** Prices per snapshot (for `cost` assertions and the report's cost column). */
  prices?: Record<string, SnapshotPrice>;
  /** `pinned`: a conversation keeps the snapshot it started on. `follow`: it always gets the current decision. */
  conversations: 'pinned' | 'follow';
  /** Snapshots no longer served: conversations pinned to one are migrated deliberately, with an event. */
  retired: string[];
}

/** Per-environment overrides for percentage resources. */
export interface PercentOverride {
  percent?: number;
  killed?: boolean;
}

interface PercentResource {
  /** Runtime flag name; equals the file stem; unique across all rollouts. */
  flag: Name;
  description?: string;
  /** Share of units (0..100) that get the new behaviour. Must be 0 or one of `stages`. */
  percent: number;
  /** Ascending stages ending at 100; percent may not skip one upward. */
  stages: number[];
  /** Kill switch: when true nobody gets the new behaviour, whatever the percent. */
  killed: boolean;
  /** Bucketing seed; defaults to the flag name. */
  seed?: string;
  /** Context key that identifies a unit (e.g. `userId`). */
  unit: string;
  environments?: Record<Name, PercentOverride>;
}

/** `rollouts/<flag>.yaml` with `kind: Flag` */
export interface FlagResource extends PercentResource {
  kind: 'Flag';
}

export interface ShadowGate {
  minAvgSimilarity: number;
  minMinSimilarity: number;
}

export interface ShadowSettings {
  /** Dataset name (`datasets/<name>.jsonl`) used by CI shadow evals. */
  dataset: Name;
  /** Share (0..1) of production requests that are also sent to the candidate. */
  sampleRate: number;
  gate: ShadowGate;
}

/** `rollouts/<flag>.yaml` with `kind: ModelRollout`: moves new conversations of `model` to `to`. */
export interface ModelRolloutResource extends PercentResource {
  kind: 'ModelRollout';
  /** Model alias being rolled out. */
  model: Name;
  /** Target dated snapshot. */
  to: string;
  shadow: ShadowSettings;
}

export interface PipelineSettings {
  embeddingModel: string;
  retrieval: 'semantic' | 'keyword' | 'hybrid';
  topK: number;
  index: string;
  [extra: string]: unknown;
}

/** How a metric is analysed (see docs/evidence.md). */
export type MetricKind = 'continuous' | 'binary' | 'ratio';
/** Which way a metric improves. */
export type MetricDirection = 'higher' | 'lower';

export interface MetricDefinition {
  kind: MetricKind;
  direction: MetricDirection;
}

export interface CanaryAnalysis {
  /** Metric name recorded by the app. */
  metric: string;
  /** Default continuous. */
  kind?: MetricKind;
  /** Default higher (is better). */
  direction?: MetricDirection;
  /** Revert when candidate/control falls below this ratio. */
  revertBelow: number;
  /** Advance when candidate/control rises above this ratio. */
  advanceAbove: number;
  minSamples: number;
  /** Percent to advance to; defaults to the next stage. */
  next?: number;
}

/** `rollouts/<flag>.yaml` with `kind: Canary`: a RAG pipeline change for a share of units. */
export interface CanaryResource extends PercentResource {
  kind: 'Canary';
  control: PipelineSettings;
  candidate: PipelineSettings;
  analysis: CanaryAnalysis;
}

export interface EmbeddingStore {
  model: string;
  dimension: number;
  index: string;
}

/**
 * Where the embeddings live when they are the application's own (docs/embedding-migration.md,
 * "Migrating the application's own table"): its table, key, text and change columns, and the old
 * and new vector columns. Absent: Switchyard's own `documents` and `emb_<index>` tables.
 */
export interface EmbeddingStorage {
  /** `table` or `schema.table`; lower-case identifiers. */
  table: string;
  /** A unique (single-column) key: the keyset order of the backfill. */
  key: string;
  /** The source text that is embedded. */
  text: string;
  /** A column every write of the row changes (an updated-at timestamp or a version number). */
  updatedAt: string;
  from: { column: string };
  to: { column: string };
}

export type EmbeddingPhase = 'dual-write' | 'backfill' | 'dual-read' | 'cutover' | 'complete';

/** `rollouts/<migration>.yaml` with `kind: EmbeddingMigration` */
export interface EmbeddingMigrationResource {
  kind: 'EmbeddingMigration';
  migration: Name;
  description?: string;
  from: EmbeddingStore;
  to: EmbeddingStore;
  phase: EmbeddingPhase;
  /** The application's own table, when the vectors live there rather than in Switchyard's tables. */
  storage?: EmbeddingStorage;
  backfill: {
    batchSize: number;
    concurrency: number;
    requestsPerMinute?: number;
    tokensPerMinute?: number;
    maxRetries?: number;
  };
  /** Checks before a phase may advance (the runner's defaults apply to omitted fields). */
  verify?: {
    sampleQueries?: number;
    topK?: number;
    minOverlap?: number;
    maxDeadLetters?: number;
    maxAgeMinutes?: number;
  };
  environments?: Record<Name, { phase?: EmbeddingPhase }>;
}

/** `rollouts/<migration>.yaml` with `kind: SchemaMigration`: a conversation record upgrade. */
export interface SchemaMigrationResource {
  kind: 'SchemaMigration';
  migration: Name;
  description?: string;
  /** What is migrated, e.g. `conversation`. */
  entity: string;
  from: number;
  to: number;
  mode: 'lazy' | 'background';
  upgrade: {
    /** Fields added with their default value (JSON). */
    add?: Record<string, unknown>;
    /** Renames: old field name → new field name. */
    rename?: Record<string, string>;
    /** Fields added to every element of `messages` with their default value (after `copyToMessages`: the fallback). */
    addToMessages?: Record<string, unknown>;
    /**
     * Message field → record field copied into every message lacking it, read after `rename` and
     * `add` (e.g. `timestamp: createdAt`); a missing or null source leaves the message unchanged.
     */
    copyToMessages?: Record<string, string>;
  };
  batchSize: number;
  /** The application's own table holding the records (absent: Switchyard's `conversations` table). */
  storage?: SchemaMigrationStorage;
}

/**
 * A SchemaMigration's `storage:` block (docs/guides/conversation-migration.md, "Your own table"):
 * the same shape as `TableStorage` in `@switchyard/data`, which checks it again at run start.
 */
export interface SchemaMigrationStorage {
  /** `name` (schema public) or `schema.name`. */
  table: string;
  key: string;
  record: string;
  /** Integer version column; absent: the record's `schemaVersion` field. */
  version?: string;
  updatedAt?: string;
  revision?: string;
}

export type RolloutResource =
  FlagResource | ModelRolloutResource | CanaryResource | EmbeddingMigrationResource | SchemaMigrationResource;

export type ExperimentStatus = 'draft' | 'running' | 'stopped';

export interface ExperimentVariant {
  /** Prompt version served to this variant. */
  version: number;
  /** Share of enrolled units (weights sum to 100). */
  weight: number;
}

/** `experiments/<id>.yaml` */
export interface Experiment {
  experiment: Name;
  description?: string;
  status: ExperimentStatus;
  prompt: Name;
  unit: string;
  /** Bucketing seed; defaults to the experiment id; must change when variants or weights change while running. */
  seed?: string;
  /** Share of units (0..100) enrolled. */
  traffic: number;
  /** Variant name → variant. `control` is required. */
  variants: Record<Name, ExperimentVariant>;
  metrics: {
    primary: string;
    guardrails: string[];
    /** Metric → kind and direction; undeclared: primary continuous/higher, guardrails continuous/lower. */
    definitions?: Record<string, MetricDefinition>;
    /** Relative minimum detectable effect (default 0.1): the mSPRT mixing scale and the plan's target. */
    mde?: number;
  };
  minSamples: number;
  environments?: Record<Name, { status?: ExperimentStatus; traffic?: number }>;
}

/** One line of `datasets/<name>.jsonl`: the input of a shadow eval. */
export interface DatasetRow {
  id: string;
  /** Prompt variables, or `input` for a bare user message. */
  vars?: Record<string, string>;
  input?: string;
  /** Prompt name whose active version renders this row; without it `input` is sent as-is. */
  prompt?: Name;
}

export interface Dataset {
  name: Name;
  rows: DatasetRow[];
}

/** `switchyard.yaml` */
export interface ProjectSettings {
  project: Name;
  environments: Array<{ name: Name; description?: string }>;
  signing: {
    /** keyids (sha256 of SPKI DER, hex) that runtimes of this project trust. */
    trustedKeys: string[];
    /** How long a published bundle is trusted, e.g. `30d`, `12h`. */
    expiresAfter: string;
  };
  publish: {
    /** A directory (relative to the repo) or an http(s) URL. */
    target: string;
  };
  defaults: {
    minPassRate: number;
    shadowGate: ShadowGate;
  };
  eval: {
    concurrency: number;
    /** Model alias whose provider and snapshot grade model-graded assertions (docs/evaluation.md). */
    grader?: string;
  };
  /** Rules of the CI gate (read from the base commit of a change; see docs/evaluation.md). */
  gate?: {
    /** Largest share (percent) a new resource, a revival or an unstaged change may expose at once (default 10). */
    firstStagePercent?: number;
  };
}

/** A loaded repository: every resource, keyed by its name. */
export interface Project {
  root: string;
  /**
   * The commit whose tree the project was loaded from (`loadProjectAtRef`); undefined for the
   * working tree. Files that `file://` references name are read from the same place.
   */
  commit?: string;
  settings: ProjectSettings;
  /** prompt name → version number → version */
  prompts: Map<Name, Map<number, PromptVersion>>;
  models: Map<Name, ModelPin>;
  experiments: Map<Name, Experiment>;
  rollouts: Map<Name, RolloutResource>;
  datasets: Map<Name, Dataset>;
  /** Repo-relative path of every resource, keyed by `kind:name` (for messages). */
  files: Map<string, string>;
}
