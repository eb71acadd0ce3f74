/**
 * Supply-chain policy for GitHub Actions workflows (docs/ARCHITECTURE.md, GitHub workflows), checked on the YAML text. Pure: no I/O.
 *
 * The rules, each with a stable code:
 * - `E_WF_YAML`               the file is not a YAML mapping.
 * - `E_WF_PERMISSIONS_MISSING` no top-level `permissions:` (the token would get the repository default, often write-all).
 * - `E_WF_PERMISSIONS_BROAD`   top-level `permissions:` is not `{}`; jobs must ask for what they need.
 * - `E_WF_UNPINNED_ACTION`     `uses:` not pinned to a full 40-character commit SHA (tags and branches can be moved).
 * - `E_WF_PRT_CHECKOUT`        `pull_request_target` together with a checkout (or git fetch) of the PR's head:
 *                              untrusted code with a write token and secrets.
 * - `E_WF_FORK_SECRETS`        a job that runs pull-request code references `secrets.*` (other than GITHUB_TOKEN)
 *                              without an `if:` that limits it to branches of this repository (the guard must be the
 *                              whole `if:` or a top-level `&&` term; `guard || true` does not count).
 * - `E_WF_PERSIST_CREDENTIALS` `actions/checkout` without `persist-credentials: false` (the token would stay in
 *                              .git/config for every later step to read).
 * - `E_WF_SCRIPT_INJECTION`    an attacker-controllable expression (PR title/body/branch, issue or comment
 *                              text, workflow_dispatch inputs…) interpolated into a `run:` script; pass it
 *                              through `env:` instead, where the shell sees it as data.
 * - `E_WF_SECRET_TO_INSTALL`   a secret in a job's or the workflow's `env:` while a step installs packages (npm ci…):
 *                              dependencies' install scripts would see it. Give it to the step that needs it.
 * - `E_WF_SIGNING_UNGUARDED`   a job that uses a signing secret (`secrets.*SIGNING*`) without an `if:` that requires
 *                              `github.ref == 'refs/heads/main'`: a dispatch from another branch would sign its config.
 * - `W_WF_PULL_REQUEST_TARGET` any use of `pull_request_target` (allowed only without the PR's code; flagged for review).
 */
import { isMap, LineCounter, parseDocument, type Document, type Node, type YAMLMap } from 'yaml';
import type { Checked, Diagnostic } from '../config/diagnostics.ts';
import { checkJob } from './workflow-job-policy.ts';
import { PR_EVENTS, PRIVILEGED_PR_EVENTS } from './workflow-patterns.ts';
import { createWorkflowReport, type WorkflowReport } from './workflow-report.ts';
import type { WorkflowScope } from './workflow-step-policy.ts';
import { allText, secretsIn, triggersOf } from './workflow-yaml.ts';

export interface WorkflowFacts {
  triggers: string[];
  jobs: Array<{ id: string; uses: string[]; secrets: string[]; runsPullRequestCode: boolean }>;
}

/**
 * Checks one workflow file. `file` is the repo-relative path used in diagnostics.
 * Returns facts about the workflow (triggers, jobs, actions used) as the value.
 */
export function checkWorkflowPolicy(file: string, text: string): Checked<WorkflowFacts> {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0 || !isMap(doc.contents))
    return { value: undefined, errors: [notAWorkflow(file, doc)], warnings: [] };
  const out = createWorkflowReport(file, lines);
  const root = doc.contents;
  const scope = workflowScope(doc, root);
  checkPermissions(out, root);
  if (scope.prt) checkPullRequestTarget(out, root);

  const facts: WorkflowFacts = { triggers: scope.triggers, jobs: [] };
  const jobs = root.get('jobs', true);
  if (!isMap(jobs)) return { value: facts, errors: out.errors, warnings: out.warnings };
  for (const pair of jobs.items) {
    const job = checkJob(out, scope, pair);
    if (job) facts.jobs.push(job);
  }
  return { value: facts, errors: out.errors, warnings: out.warnings };
}

/** `E_WF_YAML`: the first YAML error, or that the document is not a mapping. */
function notAWorkflow(file: string, doc: Document): Diagnostic {
  const first = doc.errors[0];
  const pos = first?.linePos?.[0];
  return {
    code: 'E_WF_YAML',
    severity: 'error',
    message: first ? `not valid YAML: ${first.message.split('\n')[0]}` : 'a workflow must be a YAML mapping',
    hint: 'fix the YAML syntax; a workflow file is a mapping with `on:` and `jobs:`',
    file,
    line: pos?.line ?? 1,
    col: pos?.col ?? 1,
  };
}

/** The triggers and workflow-level secrets every job is judged with. */
function workflowScope(doc: Document, root: YAMLMap<unknown, unknown>): WorkflowScope {
  const triggers = triggersOf(doc);
  return {
    triggers,
    prt: triggers.includes('pull_request_target'),
    prCodeByDefault: triggers.some((t) => PR_EVENTS.has(t)),
    privileged: triggers.some((t) => PRIVILEGED_PR_EVENTS.has(t)),
    workflowSecrets: secretsIn(allText(root.get('env', true))),
  };
}

/** The top-level token grants nothing (`permissions: {}`); jobs ask for what they need. */
function checkPermissions(out: WorkflowReport, root: YAMLMap<unknown, unknown>): void {
  const permissions = root.get('permissions', true);
  if (permissions === undefined) {
    out.report(
      'E_WF_PERMISSIONS_MISSING',
      root,
      'the workflow has no top-level `permissions:`',
      'add `permissions: {}` at the top and grant each job only what it needs',
    );
  } else if (!(isMap(permissions) && permissions.items.length === 0)) {
    out.report(
      'E_WF_PERMISSIONS_BROAD',
      permissions as Node,
      'top-level `permissions:` grants something',
      'set top-level `permissions: {}` and move grants to the jobs that need them',
    );
  }
}

/** Any `pull_request_target` is flagged for review: it runs with a write token and secrets. */
function checkPullRequestTarget(out: WorkflowReport, root: YAMLMap<unknown, unknown>): void {
  const onNode = root.get('on', true) as Node | undefined;
  out.report(
    'W_WF_PULL_REQUEST_TARGET',
    onNode,
    '`pull_request_target` runs with a write token and secrets',
    'use `pull_request` for anything that touches PR code; `workflow_run` for the privileged follow-up',
  );
}
