/** Analysis: evidence from the store → statistics → decisions, rendered as text, Markdown (with Mermaid) or JSON. */
export { analyzeExperiment, type ExperimentEvidence, type ExperimentAnalysisOptions } from './experiment.ts';
export { analyzeShadow, type ShadowEvidence } from './shadow.ts';
export { analyzeCanary, CANARY_GUARDRAILS, type CanaryEvidence } from './canary.ts';
export { checkGuardrail, type GuardrailOptions } from './guardrails.ts';
export { nextStage } from './stages.ts';
export { cumulativeSeries } from './series.ts';
export { loadExperimentEvidence, loadCanaryEvidence, loadShadowEvidence, SERIES_BUCKETS } from './evidence.ts';
export { metricLineChart, similarityHistogram } from './charts.ts';
export { renderAnalysis, type AnalysisFormat } from './render.ts';
export type * from './types.ts';
export { findTarget, runAnalysis, loadProjectForAnalysis, openProjectStore, type AnalysisTarget, type RunOptions } from './run.ts';
