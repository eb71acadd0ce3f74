/**
 * Public entry of `src/bundle`: compile a project into a payload, sign manifests, publish to a
 * directory, serve it over HTTP, and verify what was published. The bundle format itself (canonical
 * JSON, manifest types, verification) lives in `@switchyard/runtime` and is re-exported here.
 */
export { compileBundle, payloadPath, type CompileOptions, type CompiledBundle } from './compile.ts';
export { thresholdPpm, shareToPpm, experimentSlots, embeddingRoutes, orderVariants, PPM } from './tables.ts';
export { effectivePercent, type EffectivePercent, type PercentResource } from './effective-percent.ts';
export { BUNDLE_CODES, bundleDiagnostic, type BundleCode } from './codes.ts';
export {
  generateSigningKey,
  parseSigningKey,
  loadSigningKeys,
  privateKeyToPem,
  trustedKeyEntry,
  trustedKeysDocument,
  SIGNING_KEY_ENV,
  type SigningKey,
  type KeyResult,
} from './keys.ts';
export { buildSigned, signCompiled, signManifest, type ManifestInput } from './sign.ts';
export { gitBundleMeta, type GitBundleMeta } from './git-meta.ts';
export { parseDuration } from './duration.ts';
export { writeFileAtomic } from './atomic-write.ts';
export { publishToDirectory, type PublishResult, type PublishCode } from './publish.ts';
export { createBundleServer, listen, type BundleServerOptions, type ServeLogEntry } from './serve.ts';
export { bundleSource, type BundleSource, type ReadResult } from './bundle-source.ts';
export { verifyBundle, type VerifyBundleOptions, type VerifyBundleResult } from './verify-bundle.ts';
export * from './runtime-format.ts';
