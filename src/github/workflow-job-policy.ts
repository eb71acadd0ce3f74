import { isMap, isSeq, type Node, type Pair, type YAMLMap } from 'yaml';
import { ifRequires } from './if-expression.ts';
import { MAIN_REF_GUARD, PINNED_ACTION, SAME_REPO_GUARD, SIGNING_SECRET } from './workflow-patterns.ts';
import type { WorkflowReport } from './workflow-report.ts';
import { checkStep, type JobScan, type WorkflowScope } from './workflow-step-policy.ts';
import { allText, scalarText, secretsIn } from './workflow-yaml.ts';

/** What a job is, for the workflow's facts. */
export interface JobFacts {
  id: string;
  uses: string[];
  secrets: string[];
  runsPullRequestCode: boolean;
}

/**
 * Checks one job of `jobs:`: the reusable workflow it calls, each step, then where its secrets go.
 * Returns its facts, or undefined when the entry is not a job mapping.
 */
export function checkJob(
  out: WorkflowReport,
  scope: WorkflowScope,
  pair: Pair<unknown, unknown>,
): JobFacts | undefined {
  const id = scalarText(pair.key) ?? '?';
  const job = pair.value;
  if (!isMap(job)) return undefined;
  const guard = allText(job.get('if', true));
  const sameRepoOnly = ifRequires(guard, SAME_REPO_GUARD);
  const scan: JobScan = { id, uses: [], checksOutPrCode: false, installNode: undefined };
  checkReusableWorkflow(out, job, scan);
  const steps = job.get('steps', true);
  for (const step of isSeq(steps) ? steps.items : []) {
    if (isMap(step)) checkStep(out, scope, step, scan);
  }
  checkSecretsToInstall(out, scope, job, scan);
  const secrets = [...new Set([...secretsIn(allText(job)), ...scope.workflowSecrets])];
  if (scalarText(job.get('secrets', true)) === 'inherit') secrets.push('(inherit)');
  const runsPullRequestCode = scan.checksOutPrCode && !sameRepoOnly;
  checkSecretUse(out, pair.key as Node, id, guard, secrets, runsPullRequestCode);
  return { id, uses: scan.uses, secrets, runsPullRequestCode };
}

/** A job-level `uses:` (a reusable workflow) must be local or pinned to a commit. */
function checkReusableWorkflow(out: WorkflowReport, job: YAMLMap<unknown, unknown>, scan: JobScan): void {
  const reusable = scalarText(job.get('uses', true));
  if (reusable === undefined) return;
  scan.uses.push(reusable);
  if (!reusable.startsWith('./') && !PINNED_ACTION.test(reusable)) {
    out.report(
      'E_WF_UNPINNED_ACTION',
      job.get('uses', true) as Node,
      `job '${scan.id}' calls reusable workflow '${reusable}' without a full commit SHA`,
      'pin it as owner/repo/path@<40-char sha> # vX.Y.Z',
    );
  }
}

/**
 * Secrets in the job's (or workflow's) env reach every step, including package installs whose
 * dependencies' lifecycle scripts run arbitrary code.
 */
function checkSecretsToInstall(
  out: WorkflowReport,
  scope: WorkflowScope,
  job: YAMLMap<unknown, unknown>,
  scan: JobScan,
): void {
  const broadSecrets = [...new Set([...secretsIn(allText(job.get('env', true))), ...scope.workflowSecrets])];
  if (broadSecrets.length > 0 && scan.installNode) {
    out.report(
      'E_WF_SECRET_TO_INSTALL',
      scan.installNode,
      `job '${scan.id}' gives ${broadSecrets.join(', ')} to every step, including a package install`,
      'move the secret to the `env:` of the step that needs it',
    );
  }
}

/** Secrets never meet fork code, and a signing secret only main's config. */
function checkSecretUse(
  out: WorkflowReport,
  key: Node,
  id: string,
  guard: string,
  secrets: string[],
  runsPullRequestCode: boolean,
): void {
  if (runsPullRequestCode && secrets.length > 0) {
    out.report(
      'E_WF_FORK_SECRETS',
      key,
      `job '${id}' runs pull-request code (forks included) and uses secrets: ${secrets.join(', ')}`,
      'split the job: run fork PRs without secrets, and guard the secret job with `if: github.event.pull_request.head.repo.full_name == github.repository`',
    );
  }
  const signing = secrets.filter((name) => SIGNING_SECRET.test(name));
  if (signing.length > 0 && !ifRequires(guard, MAIN_REF_GUARD)) {
    out.report(
      'E_WF_SIGNING_UNGUARDED',
      key,
      `job '${id}' uses the signing secret ${signing.join(', ')} without requiring the main branch`,
      "add `if: github.ref == 'refs/heads/main'` to the job (and deployment branch rules on its environment), so no other branch's config is ever signed",
    );
  }
}
