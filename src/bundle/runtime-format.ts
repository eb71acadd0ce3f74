/**
 * The compiler side imports the bundle format from the runtime package (its single source of truth)
 * through this one file, so that the relative path lives in one place.
 */
export * from '../../packages/runtime/src/bundle/index.ts';
// Bucket arithmetic the compiler must agree with bit for bit (thresholds are computed here, compared there).
export { PPM, percentToPpm } from '../../packages/runtime/src/bucketing/bucket.ts';
