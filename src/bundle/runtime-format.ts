/**
 * The compiler side imports the bundle format from the runtime package (its single source of truth)
 * through this one file, so that the relative path lives in one place.
 */
export * from '@switchyard/runtime/bundle';
// Bucket arithmetic the compiler must agree with bit for bit (thresholds are computed here, compared there).
export { PPM, percentToPpm } from '@switchyard/runtime/bundle';
// The runtime's own read paths (`httpGet`, `readCapped`, `ClientCode`) come with the export above:
// `switchyard verify` and `serve` read exactly as a runtime does (same caps, deadlines, refusals).
