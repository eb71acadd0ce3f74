/**
 * @switchyard/runtime — the zero-dependency client applications install: fetch, verify and
 * hot-swap signed config bundles; resolve models, prompts, flags, experiments, canaries and
 * migrations; record exposures, metrics and shadow comparisons. This entry holds what an
 * application calls; the bundle format, bucketing and decision tables for tools are in
 * `@switchyard/runtime/bundle`. See docs/runtime.md.
 */

// Client.
export {
  createClient,
  SwitchyardClient,
  ClientOptionsError,
  ClientNotReadyError,
  type ClientOptions,
  type ClientStatus,
  type ClientError,
  type DefinitionSection,
} from './client/client.ts';
export { ClientCode } from './client/codes.ts';

// Answers: what every resolution returns, and the inputs of the record* calls.
export type * from './engine/types.ts';
export type { MetricInput, ShadowInput } from './engine/engine.ts';
export type { BundleChange, ChangeSection } from './engine/diff.ts';
// The payload's definitions (what `client.definition()` returns and answers carry, e.g. model params).
export type * from './bundle/payload.ts';

// Record upgrades (lazy conversation schema migrations an application applies on read).
export { upgradeRecord, SCHEMA_VERSION_FIELD, type UpgradeResult } from './migrations/upgrade-record.ts';

// Events and sinks.
export type * from './events/types.ts';
export { createMemorySink, type MemorySink } from './events/memory-sink.ts';
export { createJsonlFileSink, type JsonlFileSinkOptions } from './events/jsonl-file-sink.ts';
export { createHttpSink, type HttpSinkOptions } from './events/http-sink.ts';
export { featureFlagAttributes, FEATURE_FLAG_PROVIDER, type FeatureFlagAttributes } from './events/otel.ts';

// Errors: the one shape of a thrown, coded error (shared with the rest of the repository).
export { SwitchyardError, errorCode, type SwitchyardErrorOptions } from './errors.ts';
