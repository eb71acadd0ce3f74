/** Pure statistics for experiment, shadow and canary analysis. */
export { lnGamma, gammaP, gammaQ, betaI } from './special.ts';
export {
  normalCdf,
  normalSf,
  normalTwoSidedP,
  normalQuantile,
  studentTCdf,
  studentTTwoSidedP,
  studentTQuantile,
  chiSquareSf,
} from './distributions.ts';
export { summarize, fromSums, fromProportion, type Summary } from './summary.ts';
export { welchTTest, type WelchResult } from './welch.ts';
export { twoProportionZTest, type ProportionTestResult } from './proportions.ts';
export { srmCheck, SRM_THRESHOLD, type SrmResult } from './srm.ts';
export { msprt, type SequentialResult } from './sequential.ts';
export { msprtMixture, mixingScales, type MixingScale, type MixtureSequentialResult } from './sequential-mixture.ts';
export { ratioCiDelta, ratioCiFieller, type RatioResult } from './ratio.ts';
export { relativeIndex, type Direction, type RelativeIndexResult } from './relative-index.ts';
export { srmSequential, type SequentialSrmResult } from './srm-sequential.ts';
export { holm } from './holm.ts';
export { twoSamplePower, samplesPerArm } from './power.ts';
export { quantile } from './quantile.ts';
export { createRng, type Rng } from './prng.ts';
