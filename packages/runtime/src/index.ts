/**
 * @switchyard/runtime — the zero-dependency client applications install: fetch, verify and
 * hot-swap signed config bundles; resolve models, prompts, flags, experiments, canaries and
 * migrations from an immutable decision table. See docs/runtime.md.
 */

// Bundle format (types, canonical JSON, verification): shared with the compiler.
export * from './bundle/index.ts';

// Bucketing (DESIGN §5).
export { murmur3, createHashPrefix, hashWithPrefix, type HashPrefix } from './bucketing/murmur3.ts';
export { PPM, seedPrefix, bucketOf, bucketOfHash, bucketWithPrefix, percentToPpm, shadowSeed } from './bucketing/bucket.ts';

// Engine: decision tables and resolution.
export { buildTable, compileTable, type DecisionTable, type TableMeta, type BuildResult } from './engine/table.ts';
export { Engine, type EngineOptions, type MetricInput, type ShadowInput } from './engine/engine.ts';
export { diffPayloads, CHANGE_SECTIONS, type BundleChange, type ChangeSection } from './engine/diff.ts';
export { compileTemplate, renderTemplate, type CompiledTemplate } from './engine/template.ts';
export type * from './engine/types.ts';

// Conversation/record schema migrations.
export { upgradeRecord, SCHEMA_VERSION_FIELD, type UpgradeResult } from './migrations/upgrade-record.ts';

// Events and sinks.
export type * from './events/types.ts';
export { createMemorySink, type MemorySink } from './events/memory-sink.ts';
export { createJsonlFileSink, type JsonlFileSinkOptions } from './events/jsonl-file-sink.ts';

// Errors: the one shape of a thrown, coded error (shared with the rest of the repository).
export { SwitchyardError, errorCode, type SwitchyardErrorOptions } from './errors.ts';

// Client.
export {
  createClient,
  SwitchyardClient,
  ClientOptionsError,
  ClientNotReadyError,
  type ClientOptions,
  type ClientStatus,
  type ClientError,
} from './client/client.ts';
export { ClientCode } from './client/codes.ts';
// The client's read paths, for tools that must read exactly as a runtime does (`switchyard verify`
// and `serve`): capped, deadlined, no FIFOs/devices, no compressed or redirected bodies.
export { httpGet, LONG_POLL_HEADER, type HttpGetOptions, type HttpGetResult } from './client/http-get.ts';
export { readCapped, type ReadCappedOptions } from './client/read-capped.ts';
export { nextDelay, type ScheduleOptions } from './client/backoff.ts';
export { backoffDelay, type BackoffOptions } from './backoff.ts';
