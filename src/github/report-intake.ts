/**
 * The comment job's intake of the pr run's artifact. That artifact was written by a job that ran the
 * pull request's code, so everything in it is untrusted: sizes are capped before reading, JSON is
 * parsed defensively, the report must match `schemas/report.schema.json`, and the PR number and head
 * sha it claims must match the `workflow_run` event (which the PR cannot forge). Pure functions; the
 * file reading with its caps is `readArtifact` in report-artifact.ts.
 */
import type { Checked, Diagnostic } from '../config/diagnostics.ts';

/** Names of the files in the `switchyard-report` artifact. */
export const ARTIFACT_FILES = {
  /** `{ "pr": <number>, "headSha": "<40 hex>" }` written by `switchyard github stamp`. */
  stamp: 'switchyard-pr.json',
  /** The evaluator's report document (schemas/report.schema.json). */
  report: 'report.json',
  /** The evaluator's Markdown rendering of the same report. */
  markdown: 'report.md',
} as const;

/** Byte caps per file: generous for real reports, small enough that a hostile artifact cannot hurt. */
export const ARTIFACT_LIMITS = { stamp: 4 * 1024, report: 4 * 1024 * 1024, markdown: 512 * 1024 } as const;

/** What the comment job trusts: facts from the `workflow_run` event payload. */
export interface WorkflowRunFacts {
  owner: string;
  repo: string;
  runId: number;
  event: string;
  conclusion: string | null;
  headSha: string;
  headBranch: string;
  /** `owner/name` of the repository the PR's head lives in (a fork for fork PRs). */
  headRepository: string;
  /** PR numbers GitHub attached to the run; empty for fork PRs (a GitHub limitation). */
  pullRequests: number[];
}

export interface PrStamp {
  pr: number;
  headSha: string;
}

export interface CheckedArtifact {
  prNumber: number;
  headSha: string;
  report: unknown;
  markdown: string | undefined;
}

const SHA = /^[0-9a-f]{40}$/;

function diag(code: string, message: string, hint: string, file = 'artifact'): Diagnostic {
  return { code, severity: 'error', message, hint, file, line: 1, col: 1 };
}

/** Extracts the facts we rely on from a `workflow_run` event payload (GITHUB_EVENT_PATH). */
export function workflowRunFacts(payload: unknown): Checked<WorkflowRunFacts> {
  const p = payload as {
    repository?: { name?: unknown; owner?: { login?: unknown } };
    workflow_run?: {
      id?: unknown;
      event?: unknown;
      conclusion?: unknown;
      head_sha?: unknown;
      head_branch?: unknown;
      head_repository?: { full_name?: unknown };
      pull_requests?: Array<{ number?: unknown }>;
    };
  } | null;
  const run = p?.workflow_run;
  const owner = p?.repository?.owner?.login;
  const repo = p?.repository?.name;
  if (
    !run ||
    typeof owner !== 'string' ||
    typeof repo !== 'string' ||
    typeof run.head_sha !== 'string' ||
    !SHA.test(run.head_sha)
  ) {
    return {
      value: undefined,
      errors: [
        diag(
          'E_EVENT_NOT_WORKFLOW_RUN',
          'the event payload is not a workflow_run event',
          'run this from a workflow triggered by `workflow_run`',
          'event.json',
        ),
      ],
      warnings: [],
    };
  }
  return {
    value: {
      owner,
      repo,
      runId: Number(run.id),
      event: String(run.event ?? ''),
      conclusion: typeof run.conclusion === 'string' ? run.conclusion : null,
      headSha: run.head_sha,
      headBranch: String(run.head_branch ?? ''),
      headRepository: String(run.head_repository?.full_name ?? `${owner}/${repo}`),
      pullRequests: (run.pull_requests ?? [])
        .map((pr) => Number(pr.number))
        .filter((n) => Number.isInteger(n) && n > 0),
    },
    errors: [],
    warnings: [],
  };
}

function parseJson(bytes: Uint8Array, file: string, limit: number): Checked<unknown> {
  if (bytes.length > limit) {
    return {
      value: undefined,
      errors: [
        diag(
          'E_ARTIFACT_TOO_LARGE',
          `${file} is ${bytes.length} bytes (limit ${limit})`,
          'the report artifact is not what `switchyard pipeline` writes',
          file,
        ),
      ],
      warnings: [],
    };
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return {
      value: undefined,
      errors: [
        diag(
          'E_ARTIFACT_NOT_UTF8',
          `${file} is not UTF-8`,
          'the report artifact is not what `switchyard pipeline` writes',
          file,
        ),
      ],
      warnings: [],
    };
  }
  try {
    return { value: JSON.parse(text) as unknown, errors: [], warnings: [] };
  } catch {
    return {
      value: undefined,
      errors: [
        diag(
          'E_ARTIFACT_NOT_JSON',
          `${file} is not JSON`,
          'the report artifact is not what `switchyard pipeline` writes',
          file,
        ),
      ],
      warnings: [],
    };
  }
}

/**
 * Checks the artifact against the trusted event facts. `trustedPrs` are the PRs the run belongs to as
 * resolved from trusted sources (the event payload, or the API for fork PRs); the artifact's claim
 * must be one of them. `validateReport` returns schema errors (empty = valid).
 */
export function checkReportArtifact(
  files: { stamp?: Uint8Array; report?: Uint8Array; markdown?: Uint8Array },
  facts: WorkflowRunFacts,
  trustedPrs: number[],
  validateReport: (report: unknown) => string[],
): Checked<CheckedArtifact> {
  const errors: Diagnostic[] = [];
  const fail = (): Checked<CheckedArtifact> => ({ value: undefined, errors, warnings: [] });
  if (!files.stamp || !files.report) {
    const missing = [!files.stamp && ARTIFACT_FILES.stamp, !files.report && ARTIFACT_FILES.report]
      .filter(Boolean)
      .join(', ');
    errors.push(
      diag(
        'E_ARTIFACT_MISSING',
        `the artifact lacks ${missing}`,
        'the pr workflow did not finish writing its report; see its log',
      ),
    );
    return fail();
  }
  const stamp = parseJson(files.stamp, ARTIFACT_FILES.stamp, ARTIFACT_LIMITS.stamp);
  const report = parseJson(files.report, ARTIFACT_FILES.report, ARTIFACT_LIMITS.report);
  errors.push(...stamp.errors, ...report.errors);
  if (errors.length > 0) return fail();

  const s = stamp.value as Partial<PrStamp> | null;
  if (!s || typeof s !== 'object' || !Number.isInteger(s.pr) || typeof s.headSha !== 'string' || !SHA.test(s.headSha)) {
    errors.push(
      diag(
        'E_ARTIFACT_STAMP',
        `${ARTIFACT_FILES.stamp} is not { pr, headSha }`,
        'the report artifact is not what `switchyard github stamp` writes',
        ARTIFACT_FILES.stamp,
      ),
    );
    return fail();
  }
  if (s.headSha !== facts.headSha) {
    errors.push(
      diag(
        'E_ARTIFACT_HEAD_MISMATCH',
        `the artifact claims head ${s.headSha}, the run was for ${facts.headSha}`,
        'refusing to post a report for another commit',
        ARTIFACT_FILES.stamp,
      ),
    );
  }
  if (trustedPrs.length === 0) {
    errors.push(
      diag(
        'E_ARTIFACT_PR_UNKNOWN',
        `no open pull request has head ${facts.headSha}`,
        'the PR was closed or its branch moved on; the next run will comment',
        ARTIFACT_FILES.stamp,
      ),
    );
  } else if (!trustedPrs.includes(s.pr as number)) {
    errors.push(
      diag(
        'E_ARTIFACT_PR_MISMATCH',
        `the artifact claims PR #${String(s.pr)}, the run belongs to PR #${trustedPrs.join(', #')}`,
        'refusing to post a report on another pull request',
        ARTIFACT_FILES.stamp,
      ),
    );
  }
  const schemaErrors = validateReport(report.value);
  if (schemaErrors.length > 0) {
    errors.push(
      diag(
        'E_ARTIFACT_SCHEMA',
        `report.json does not match schemas/report.schema.json: ${schemaErrors.slice(0, 5).join('; ')}`,
        'the report was not written by this version of `switchyard report`',
        ARTIFACT_FILES.report,
      ),
    );
  }
  let markdown: string | undefined;
  if (files.markdown) {
    if (files.markdown.length > ARTIFACT_LIMITS.markdown) {
      errors.push(
        diag(
          'E_ARTIFACT_TOO_LARGE',
          `${ARTIFACT_FILES.markdown} is ${files.markdown.length} bytes (limit ${ARTIFACT_LIMITS.markdown})`,
          'the report artifact is not what `switchyard report` writes',
          ARTIFACT_FILES.markdown,
        ),
      );
    } else {
      try {
        markdown = new TextDecoder('utf-8', { fatal: true }).decode(files.markdown);
      } catch {
        errors.push(
          diag(
            'E_ARTIFACT_NOT_UTF8',
            `${ARTIFACT_FILES.markdown} is not UTF-8`,
            'the report artifact is not what `switchyard report` writes',
            ARTIFACT_FILES.markdown,
          ),
        );
      }
    }
  }
  if (errors.length > 0) return fail();
  return {
    value: { prNumber: s.pr as number, headSha: s.headSha, report: report.value, markdown },
    errors: [],
    warnings: [],
  };
}
