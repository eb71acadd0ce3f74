/**
 * The compiler side imports the bundle format from the runtime package (its single source of truth)
 * through this one file, so that the relative path lives in one place.
 */
export * from '@switchyard/runtime';
// Bucket arithmetic the compiler must agree with bit for bit (thresholds are computed here, compared there).
export { PPM, percentToPpm } from '@switchyard/runtime';
// The runtime's own read paths: `switchyard verify` and `serve` read exactly as a runtime does
// (same caps, deadlines and refusals), so what verify accepts a runtime accepts. They are client
// internals, not the package's public API, hence the one deep path.
export { httpGet } from '../../packages/runtime/src/client/http-get.ts';
export { readCapped } from '../../packages/runtime/src/client/read-capped.ts';
export { ClientCode } from '../../packages/runtime/src/client/codes.ts';
