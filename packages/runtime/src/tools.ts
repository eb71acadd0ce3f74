/**
 * `@switchyard/runtime/bundle` — for tools, not applications: the bundle format (canonical JSON,
 * strict parsing, manifest and payload types, signature and payload verification), bucketing
 * (murmur3, hash prefixes, parts per million), decision tables and the engine over them, change
 * sets, templates and the client's backoff schedule. Switchyard's compiler, the conformance tests
 * and adapters (OpenFeature) use these so that writer and reader can never disagree; an
 * application needs only the main entry (`@switchyard/runtime`). See docs/runtime.md.
 */

// Bundle format (types, canonical JSON, verification): shared with the compiler.
export * from './bundle/index.ts';

// Bucketing (docs/runtime.md, "Bucketing").
export { murmur3, createHashPrefix, hashWithPrefix, type HashPrefix } from './bucketing/murmur3.ts';
export {
  PPM,
  seedPrefix,
  bucketOf,
  bucketOfHash,
  bucketWithPrefix,
  percentToPpm,
  shadowSeed,
} from './bucketing/bucket.ts';

// Engine: decision tables and resolution.
export { buildTable, compileTable, type DecisionTable, type TableMeta, type BuildResult } from './engine/table.ts';
export { Engine, type EngineOptions } from './engine/engine.ts';
export { diffPayloads, CHANGE_SECTIONS } from './engine/diff.ts';
export { effectiveParams } from './engine/params.ts';
// Templates: the one placeholder grammar validate, eval, shadow and the runtime share.
export {
  compileTemplate,
  renderTemplate,
  placeholdersIn,
  invalidPlaceholdersIn,
  PLACEHOLDER_NAME,
  type CompiledTemplate,
} from './engine/template.ts';

// The client's read paths, for tools that must read exactly as a runtime does (`switchyard verify`
// and `serve`): capped, deadlined, no FIFOs/devices, no compressed or redirected bodies.
export { httpGet, LONG_POLL_HEADER, type HttpGetOptions, type HttpGetResult } from './client/http-get.ts';
export { readCapped, type ReadCappedOptions } from './client/read-capped.ts';
export { ClientCode } from './client/codes.ts';

// The client's retry schedule (jittered exponential backoff) and the one backoff rule tools share.
export { nextDelay, type ScheduleOptions } from './client/backoff.ts';
export { backoffDelay, type BackoffOptions } from './backoff.ts';
