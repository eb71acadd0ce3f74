/**
 * The comment job, end to end: trusted event facts → untrusted artifact checked → sticky comment.
 * Everything that decides lives in report-intake.ts (pure); this file only wires the edges.
 */
import type { Checked, Diagnostic } from '../config/diagnostics.ts';
import type { GitHubClient } from './client.ts';
import { REPORT_MARKER } from './comment-body.ts';
import { readArtifact, resolveRunPullRequests } from './report-artifact.ts';
import { checkReportArtifact, workflowRunFacts, type CheckedArtifact, type WorkflowRunFacts } from './report-intake.ts';
import { neutralizeUntrustedMarkdown } from './sanitize.ts';
import { upsertStickyComment, type StickyResult } from './sticky-comment.ts';

export interface PostReportOptions {
  client: GitHubClient;
  /** The parsed `workflow_run` event payload. */
  event: unknown;
  /** Directory the artifact was downloaded to. */
  artifactDir: string;
  validateReport: (report: unknown) => string[];
  /** Renders the checked report with the run's trusted facts; default: the artifact's own report.md. */
  render?: (artifact: CheckedArtifact, facts: WorkflowRunFacts) => string | undefined;
  selfLogin?: string;
}

export interface PostedReport {
  prNumber: number;
  /** The comment written; absent when the report was skipped as stale. */
  comment?: StickyResult;
  /** Why nothing was posted (e.g. the PR's head moved on: a newer run will report). */
  skipped?: string;
}

/** Posts (creates or edits) the sticky report comment for the PR the run belongs to. */
export async function postReportComment(options: PostReportOptions): Promise<Checked<PostedReport>> {
  const facts = workflowRunFacts(options.event);
  if (!facts.value) return { value: undefined, errors: facts.errors, warnings: [] };
  const { files, refused } = await readArtifact(options.artifactDir);
  if (refused.length > 0) {
    const errors: Diagnostic[] = refused.map((message) => ({
      code: 'E_ARTIFACT_NOT_FILE',
      severity: 'error',
      message,
      hint: 'the report artifact is not what `switchyard pipeline` writes',
      file: 'artifact',
      line: 1,
      col: 1,
    }));
    return { value: undefined, errors, warnings: [] };
  }
  const prs = await resolveRunPullRequests(options.client, facts.value);
  const checked = checkReportArtifact(files, facts.value, prs, options.validateReport);
  if (!checked.value) return { value: undefined, errors: checked.errors, warnings: checked.warnings };
  // A slow run must not overwrite the report of a newer push: post only while the run's commit is
  // still the PR's head.
  const pull = await options.client.rest.pulls
    .get({ owner: facts.value.owner, repo: facts.value.repo, pull_number: checked.value.prNumber })
    .catch((e: { status?: number }) => {
      if (e.status === 404) return undefined;
      throw e;
    });
  if (!pull) {
    const error: Diagnostic = {
      code: 'E_ARTIFACT_PR_UNKNOWN',
      severity: 'error',
      message: `PR #${checked.value.prNumber} does not exist`,
      hint: 'the report names a pull request this repository does not have',
      file: 'switchyard-pr.json',
      line: 1,
      col: 1,
    };
    return { value: undefined, errors: [error], warnings: [] };
  }
  if (pull.data.head.sha !== checked.value.headSha) {
    const skipped = `PR #${checked.value.prNumber} has moved on to ${pull.data.head.sha.slice(0, 12)}; this report is for ${checked.value.headSha.slice(0, 12)}, so the newer run will comment`;
    return { value: { prNumber: checked.value.prNumber, skipped }, errors: [], warnings: [] };
  }
  let rendered: string | undefined;
  try {
    rendered = options.render ? options.render(checked.value, facts.value) : checked.value.markdown;
  } catch (e) {
    const error: Diagnostic = {
      code: 'E_REPORT_RENDER',
      severity: 'error',
      message: `the report cannot be rendered: ${(e as Error).message}`,
      hint: 'the report was written by another version of `switchyard report`',
      file: 'report.json',
      line: 1,
      col: 1,
    };
    return { value: undefined, errors: [error], warnings: [] };
  }
  if (!rendered) {
    const error: Diagnostic = {
      code: 'E_ARTIFACT_MISSING',
      severity: 'error',
      message: 'the artifact has no report.md to post',
      hint: 'run `switchyard report` in the pr workflow',
      file: 'artifact',
      line: 1,
      col: 1,
    };
    return { value: undefined, errors: [error], warnings: [] };
  }
  const comment = await upsertStickyComment(
    options.client,
    { owner: facts.value.owner, repo: facts.value.repo, issueNumber: checked.value.prNumber },
    neutralizeUntrustedMarkdown(rendered),
    { marker: REPORT_MARKER, ...(options.selfLogin ? { selfLogin: options.selfLogin } : {}) },
  );
  return { value: { prNumber: checked.value.prNumber, comment }, errors: [], warnings: [] };
}
