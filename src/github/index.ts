/**
 * Public entry of `src/github`: the GitOps glue between Switchyard and GitHub Actions.
 *
 * Pure: workflow policy, kill-switch YAML edit, report-artifact intake, annotations, comment body.
 * Edge: Octokit client, sticky comment, artifact reading, report comment posting, publish targets.
 */
export { checkWorkflowPolicy, type WorkflowFacts } from './workflow-policy.ts';
export {
  checkReportArtifact,
  workflowRunFacts,
  ARTIFACT_FILES,
  ARTIFACT_LIMITS,
  type CheckedArtifact,
  type PrStamp,
  type WorkflowRunFacts,
} from './report-intake.ts';
export { annotationsFor, emitAnnotations, readDiagnostics, MAX_ANNOTATIONS, type Annotation } from './annotations.ts';
export { stickyBody, MAX_COMMENT_CHARS, REPORT_MARKER } from './comment-body.ts';
export { neutralizeUntrustedMarkdown } from './sanitize.ts';
export { buildJobSummary, findingsTable } from './job-summary.ts';
export { createGitHubClient, type GitHubClient, type GitHubClientOptions } from './client.ts';
export {
  upsertStickyComment,
  resolveSelfLogin,
  ACTIONS_BOT_LOGIN,
  type StickyOptions,
  type StickyResult,
  type StickyTarget,
} from './sticky-comment.ts';
export { readArtifact, resolveRunPullRequests, loadReportValidator } from './report-artifact.ts';
export { postReportComment, type PostReportOptions, type PostedReport } from './post-report.ts';
export {
  parsePublishTarget,
  publishBundle,
  appendPublishLog,
  type PublishBundleOptions,
  type PublishRecord,
  type PublishTarget,
} from './publish-target.ts';
export { basicAuthValue, gitAuthEnv, redactToken, runGitWithToken } from './git-push.ts';
export { ifRequires, requiredTerms } from './if-expression.ts';
