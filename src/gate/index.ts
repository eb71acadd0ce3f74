/** The gate: judges the compiled effect of a change under the base policy (docs/evaluation.md). */
export { changedShare, newlyGetting, shareOf, split, uniform, type Allocation, type Segment } from './allocation.ts';
export { GATE_CODES, type GateCode } from './codes.ts';
export { judgeExposure, type ExposureAnswer, type ExposureRow, type ExposureVerdict } from './exposure.ts';
export { judgeChange, type GateVerdict, type JudgeOptions } from './judge.ts';
export { fileLocator, type Locate } from './locate.ts';
export {
  DEFAULT_FIRST_STAGE_PERCENT,
  UNSTAGED_STAGES,
  effectiveMinPassRate,
  gatePolicy,
  policyChanges,
  stricterShadowGate,
  type GatePolicy,
  type PolicyChange,
} from './policy.ts';
export { judgeServed } from './served.ts';
export { policyThresholds, type ReportThresholds } from './thresholds.ts';
