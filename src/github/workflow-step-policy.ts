import { isMap, type Node, type YAMLMap } from 'yaml';
import {
  GIT_FETCH,
  PACKAGE_INSTALL,
  PINNED_ACTION,
  PINNED_DOCKER,
  PR_HEAD_REF,
  UNTRUSTED_EXPRESSION,
} from './workflow-patterns.ts';
import type { WorkflowReport } from './workflow-report.ts';
import { allText, scalarText } from './workflow-yaml.ts';

/** What the whole workflow tells every job: its triggers and the secrets of its top-level `env:`. */
export interface WorkflowScope {
  triggers: string[];
  /** Triggered by `pull_request_target` (a write token and secrets next to the PR). */
  prt: boolean;
  /** Triggered by an event whose default checkout is the PR's code. */
  prCodeByDefault: boolean;
  /** Triggered by a privileged event where only an explicit head ref is the PR's code. */
  privileged: boolean;
  workflowSecrets: string[];
}

/** What the steps of one job have shown so far. */
export interface JobScan {
  id: string;
  /** Actions and reusable workflows the job uses, in order. */
  uses: string[];
  /** Some step checks out or fetches the pull request's code. */
  checksOutPrCode: boolean;
  /** The first step that installs packages (their install scripts run arbitrary code). */
  installNode: Node | undefined;
}

/** Checks one step: the action it uses (pinning, checkout options) and its `run:` script. */
export function checkStep(
  out: WorkflowReport,
  scope: WorkflowScope,
  step: YAMLMap<unknown, unknown>,
  scan: JobScan,
): void {
  const usesNode = step.get('uses', true) as Node | undefined;
  const action = scalarText(usesNode);
  const withNode = step.get('with', true);
  const run = scalarText(step.get('run', true)) ?? '';
  if (action !== undefined) checkAction(out, scope, scan, usesNode, action, withNode);
  if (run && !scan.installNode && PACKAGE_INSTALL.test(run)) scan.installNode = step.get('run', true) as Node;
  if (run) checkRun(out, scope, scan, step.get('run', true) as Node, run);
}

/** An action must be pinned to a commit; a checkout must drop its token and not fetch PR code under pull_request_target. */
function checkAction(
  out: WorkflowReport,
  scope: WorkflowScope,
  scan: JobScan,
  usesNode: Node | undefined,
  action: string,
  withNode: unknown,
): void {
  scan.uses.push(action);
  const pinned = action.startsWith('./') || PINNED_ACTION.test(action) || PINNED_DOCKER.test(action);
  if (!pinned) {
    out.report(
      'E_WF_UNPINNED_ACTION',
      usesNode,
      `action '${action}' is not pinned to a full commit SHA`,
      'pin it as owner/repo@<40-char sha> # vX.Y.Z (tags can be moved by whoever controls the action)',
    );
  }
  if (!/^actions\/checkout@/.test(action)) return;
  const options = isMap(withNode) ? withNode : undefined;
  const ref = allText(options?.get('ref', true)) + allText(options?.get('repository', true));
  if (scalarText(options?.get('persist-credentials', true)) !== 'false') {
    out.report(
      'E_WF_PERSIST_CREDENTIALS',
      usesNode,
      `checkout in job '${scan.id}' keeps the token in .git/config`,
      'add `with: persist-credentials: false`',
    );
  }
  const headRef = PR_HEAD_REF.test(ref);
  if (scope.prt && headRef) {
    out.report(
      'E_WF_PRT_CHECKOUT',
      usesNode,
      `job '${scan.id}' checks out the pull request's head under pull_request_target`,
      'run PR code only under `pull_request` (no secrets, read-only token)',
    );
  }
  // Under pull_request the default checkout IS the PR's code; elsewhere only an explicit head ref is.
  if ((scope.prCodeByDefault && (ref === '' || headRef)) || (scope.privileged && headRef)) scan.checksOutPrCode = true;
}

/** A script must not interpolate attacker-controlled expressions, nor fetch PR code under pull_request_target. */
function checkRun(out: WorkflowReport, scope: WorkflowScope, scan: JobScan, runNode: Node, run: string): void {
  if (UNTRUSTED_EXPRESSION.test(run)) {
    const expression = UNTRUSTED_EXPRESSION.exec(run)?.[0] ?? '';
    out.report(
      'E_WF_SCRIPT_INJECTION',
      runNode,
      `job '${scan.id}' interpolates ${expression} into a shell script`,
      'pass it through `env:` (e.g. `env: TITLE: ${{ … }}` and use "$TITLE")',
    );
  }
  if (PR_HEAD_REF.test(run) && GIT_FETCH.test(run)) {
    if (scope.prt) {
      out.report(
        'E_WF_PRT_CHECKOUT',
        runNode,
        `job '${scan.id}' fetches the pull request's head under pull_request_target`,
        'run PR code only under `pull_request`',
      );
    }
    if (scope.prCodeByDefault || scope.privileged) scan.checksOutPrCode = true;
  }
}
