/**
 * Public entry of `src/eval`: the CI evaluator (offline model server, promptfoo evals, shadow
 * evals, report). See docs/evaluation.md.
 */
export {
  startModelServer,
  LISTED_CHAT_MODELS,
  type ModelServer,
  type ModelServerOptions,
  type ModelServerStats,
  type RecordedChat,
} from './offline/server.ts';
export { generateReply } from './offline/model.ts';
export { embed, EMBEDDING_MODELS } from './offline/embeddings.ts';
export { openModelEndpoint, createClient, OFFLINE_API_KEY, type ModelEndpoint } from './endpoint.ts';
export { affectedTargets, targetId, type EvalTarget, type SideFiles, type TargetGate } from './targets.ts';
export { loadSideFiles } from './file-refs.ts';
export { buildCases, parseShard, shardCases, type EvalCase, type Shard } from './cases.ts';
export { openCaseCache, cacheDir, WRITTEN_CACHE_PATHS, type CaseCache } from './cache.ts';
export {
  runEval,
  evalCaseCount,
  DEFAULT_EMBEDDING_MODEL,
  DEFAULT_GRADER_MODEL,
  type RunEvalOptions,
} from './run-eval.ts';
export { judgeTargets, mergeRuns, type CaseResult, type EvalRun, type TargetVerdict } from './results.ts';
export { planShadow, type ShadowPlan } from './shadow-plan.ts';
export { runShadow, gatePasses, type ShadowRun, type ShadowResult } from './shadow.ts';
export { cosine, tokenF1, summarise } from './similarity.ts';
export { diffProjects, type ConfigChange } from './semantic-diff.ts';
export { buildReport, type ReportInputs } from './report/build-report.ts';
export { planReport, type PlannedComparison, type PlannedTarget, type ReportPlan } from './report/plan.ts';
export { renderMarkdown, DEFAULT_MAX_CHARS } from './report/markdown.ts';
export { stripVolatile } from './report/strip.ts';
export type { Report } from './report/model.ts';
export { compileAll, compileSignVerify } from './bundle-stage.ts';
export { openWorkspace, evalResultPath, shadowResultPath, resultsDir, reportDir, type Workspace } from './workspace.ts';
