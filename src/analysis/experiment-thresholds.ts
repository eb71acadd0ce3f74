/** The fixed thresholds of experiment analysis (experiment.ts re-exports them). */

/**
 * Smallest number of units per arm before any decision, whatever `minSamples` says. The mSPRT
 * plugs in estimated variances, which are unreliable in tiny samples: with `minSamples: 1` an A/A
 * test judged from 2 units per arm declared false winners 7.6% of the time. `npm run bench:decisions`
 * shows the floor keeps every A/A false-decision rate ≤ 5% over 20 looks (docs/evidence.md).
 */
export const MIN_SAMPLES_FLOOR = 100;

/** Relative MDE assumed when an experiment declares none: the mSPRT mixing scale is 10% of the control mean. */
export const DEFAULT_MDE = 0.1;

/** SRM blocks when the running minimum of the sequential test's p-value falls below this. */
export const SRM_ALPHA = 0.001;
