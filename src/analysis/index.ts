/** Analysis: evidence from the store → statistics → decisions, rendered as text, Markdown (with Mermaid) or JSON. */
export { analyzeExperiment, type ExperimentEvidence, type ExperimentAnalysisOptions } from './experiment.ts';
export { analyzeShadow, type ShadowEvidence, type ShadowOptions } from './shadow.ts';
export { analyzeCanary, CANARY_GUARDRAILS, type CanaryEvidence, type CanaryAnalysisOptions } from './canary.ts';
export { MIN_SAMPLES_FLOOR, DEFAULT_MDE, SRM_ALPHA } from './experiment.ts';
export { dataProblems, MIN_COVERAGE, type DataProblem } from './data-checks.ts';
export { experimentMetrics, canaryMetric, type ResolvedMetric } from './metric-definitions.ts';
export {
  foldLook,
  lookKey,
  sequentialLook,
  type LookState,
  type SequentialLook,
  type SequentialStates,
} from './sequential-state.ts';
export { checkGuardrails, type GuardrailInput, type GuardrailOptions } from './guardrails.ts';
export { nextStage } from './stages.ts';
export { planExperiment, sequentialPowerAt, type Plan, type PlanInput } from './plan.ts';
export { planFromTraffic, renderPlan, type TrafficPlan } from './plan-traffic.ts';
export { cumulativeSeries } from './series.ts';
export { lookAtExperiment, lookAtCanary, lookAtShadow, type LookOptions } from './decision-looks.ts';
export { variantSummary } from './evidence.ts';
export { loadExperimentEvidence, loadCanaryEvidence, loadShadowEvidence, SERIES_BUCKETS } from './evidence.ts';
export { metricLineChart, similarityHistogram } from './charts.ts';
export { renderAnalysis, type AnalysisFormat } from './render.ts';
export type * from './types.ts';
export {
  findTarget,
  runAnalysis,
  loadProjectForAnalysis,
  openProjectStore,
  type AnalysisTarget,
  type RunOptions,
} from './run.ts';
