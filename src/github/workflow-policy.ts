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
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node, type YAMLMap } from 'yaml';
import type { Checked, Diagnostic } from '../config/diagnostics.ts';
import { ifRequires } from './if-expression.ts';

export interface WorkflowFacts {
  triggers: string[];
  jobs: Array<{ id: string; uses: string[]; secrets: string[]; runsPullRequestCode: boolean }>;
}

/** Events whose default checkout, or whose payload's head ref, is code from a pull request (possibly a fork). */
const PR_EVENTS = new Set(['pull_request', 'pull_request_review', 'pull_request_review_comment']);
const PRIVILEGED_PR_EVENTS = new Set(['pull_request_target', 'workflow_run', 'issue_comment']);

/** Expressions that name the PR's head (untrusted) revision. */
const PR_HEAD_REF =
  /pull_request\.head|github\.head_ref|refs\/pull\/|workflow_run\.head_(sha|branch)|workflow_run\.head_repository|merge_commit_sha|gh pr checkout/;

/**
 * `if:` terms that restrict a job to PRs whose head lives in this repository (so secrets are not exposed
 * to forks). A term counts only as the whole `if:` or a top-level `&&` term (see if-expression.ts):
 * `guard || true` is no guard.
 */
const SAME_REPO_GUARD = [
  /^(github\.event\.)?pull_request\.head\.repo\.full_name ?== ?github\.repository$/,
  /^github\.repository ?== ?(github\.event\.)?pull_request\.head\.repo\.full_name$/,
  /^(github\.event\.)?pull_request\.head\.repo\.fork ?== ?false$/,
  /^! ?(github\.event\.)?pull_request\.head\.repo\.fork$/,
  /^(github\.event\.)?workflow_run\.head_repository\.full_name ?== ?github\.repository$/,
  /^github\.repository ?== ?(github\.event\.)?workflow_run\.head_repository\.full_name$/,
];

/** `if:` terms that restrict a job to the main branch (a workflow_dispatch can name any branch). */
const MAIN_REF_GUARD = [/^github\.ref ?== ?'refs\/heads\/main'$/, /^'refs\/heads\/main' ?== ?github\.ref$/];

/** Commands that run third-party install scripts. */
const PACKAGE_INSTALL = /\b(npm (ci|install|i)|yarn( install)?|pnpm (install|i))\b/;

/** Secrets that sign what runtimes will trust: only main's config may be signed with them. */
const SIGNING_SECRET = /SIGNING/i;

/** Expression contexts whose values an outsider (or a dispatching user) controls. */
const UNTRUSTED_EXPRESSION =
  /\$\{\{[^}]*(github\.event\.(pull_request|issue|comment|review|review_comment|discussion|pages|commits|head_commit|workflow_run)\.[\w.]*(title|body|label|ref|message|name|email|head_branch|default_branch|page_name)\b|github\.head_ref|inputs\.|github\.event\.inputs\.)[^}]*\}\}/;

const PINNED_ACTION = /^[\w.-]+\/[\w.-]+(\/[^@]*)?@[0-9a-f]{40}$/;
const PINNED_DOCKER = /^docker:\/\/[^@]+@sha256:[0-9a-f]{64}$/;
const SECRET_REF = /secrets\.([A-Za-z_][A-Za-z0-9_]*)|secrets\[\s*'([^']+)'\s*\]/g;

function scalarText(node: unknown): string | undefined {
  return isScalar(node) && node.value !== null && node.value !== undefined ? String(node.value) : undefined;
}

/** Every scalar string under a node, concatenated (for expression scans). */
function allText(node: unknown): string {
  if (isScalar(node)) return String(node.value ?? '');
  if (isMap(node)) return node.items.map((p) => `${allText(p.key)}: ${allText(p.value)}`).join('\n');
  if (isSeq(node)) return node.items.map(allText).join('\n');
  return '';
}

function secretsIn(text: string): string[] {
  const names = new Set<string>();
  for (const m of text.matchAll(SECRET_REF)) {
    const name = m[1] ?? m[2] ?? '';
    if (name && name !== 'GITHUB_TOKEN') names.add(name);
  }
  return [...names];
}

function triggersOf(doc: Document): string[] {
  const root = doc.contents as YAMLMap<unknown, unknown>;
  // YAML 1.1 readers turn a bare `on` key into `true`; yaml@2 (YAML 1.2) keeps the string, but accept both.
  const on: unknown = root.get('on', true) ?? root.get(true, true);
  if (isScalar(on)) return [String(on.value)];
  if (isSeq(on)) return on.items.map((i) => scalarText(i) ?? '').filter(Boolean);
  if (isMap(on)) return on.items.map((p) => scalarText(p.key) ?? '').filter(Boolean);
  return [];
}

/**
 * Checks one workflow file. `file` is the repo-relative path used in diagnostics.
 * Returns facts about the workflow (triggers, jobs, actions used) as the value.
 */
export function checkWorkflowPolicy(file: string, text: string): Checked<WorkflowFacts> {
  const errors: Diagnostic[] = [];
  const warnings: Diagnostic[] = [];
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const at = (node: Node | null | undefined): { line: number; col: number } => {
    const offset = node?.range?.[0];
    if (offset === undefined) return { line: 1, col: 1 };
    const pos = lines.linePos(offset);
    return { line: pos.line, col: pos.col };
  };
  const report = (code: string, node: Node | null | undefined, message: string, hint: string): void => {
    const d: Diagnostic = {
      code,
      severity: code.startsWith('W_') ? 'warning' : 'error',
      message,
      hint,
      file,
      ...at(node),
    };
    (d.severity === 'error' ? errors : warnings).push(d);
  };

  if (doc.errors.length > 0 || !isMap(doc.contents)) {
    const first = doc.errors[0];
    const pos = first?.linePos?.[0];
    errors.push({
      code: 'E_WF_YAML',
      severity: 'error',
      message: first ? `not valid YAML: ${first.message.split('\n')[0]}` : 'a workflow must be a YAML mapping',
      hint: 'fix the YAML syntax; a workflow file is a mapping with `on:` and `jobs:`',
      file,
      line: pos?.line ?? 1,
      col: pos?.col ?? 1,
    });
    return { value: undefined, errors, warnings };
  }
  const root = doc.contents;
  const triggers = triggersOf(doc);

  const permissions = root.get('permissions', true);
  if (permissions === undefined) {
    report(
      'E_WF_PERMISSIONS_MISSING',
      root,
      'the workflow has no top-level `permissions:`',
      'add `permissions: {}` at the top and grant each job only what it needs',
    );
  } else if (!(isMap(permissions) && permissions.items.length === 0)) {
    report(
      'E_WF_PERMISSIONS_BROAD',
      permissions as Node,
      'top-level `permissions:` grants something',
      'set top-level `permissions: {}` and move grants to the jobs that need them',
    );
  }

  const prt = triggers.includes('pull_request_target');
  if (prt) {
    const onNode = root.get('on', true) as Node | undefined;
    report(
      'W_WF_PULL_REQUEST_TARGET',
      onNode,
      '`pull_request_target` runs with a write token and secrets',
      'use `pull_request` for anything that touches PR code; `workflow_run` for the privileged follow-up',
    );
  }
  const prCodeByDefault = triggers.some((t) => PR_EVENTS.has(t));
  const privileged = triggers.some((t) => PRIVILEGED_PR_EVENTS.has(t));
  const workflowSecrets = secretsIn(allText(root.get('env', true)));

  const facts: WorkflowFacts = { triggers, jobs: [] };
  const jobs = root.get('jobs', true);
  if (!isMap(jobs)) return { value: facts, errors, warnings };

  for (const pair of jobs.items) {
    const id = scalarText(pair.key) ?? '?';
    const job = pair.value;
    if (!isMap(job)) continue;
    const guard = allText(job.get('if', true));
    const sameRepoOnly = ifRequires(guard, SAME_REPO_GUARD);
    const uses: string[] = [];
    let checksOutPrCode = false;
    let installNode: Node | undefined;

    const reusable = scalarText(job.get('uses', true));
    if (reusable !== undefined) {
      uses.push(reusable);
      if (!reusable.startsWith('./') && !PINNED_ACTION.test(reusable)) {
        report(
          'E_WF_UNPINNED_ACTION',
          job.get('uses', true) as Node,
          `job '${id}' calls reusable workflow '${reusable}' without a full commit SHA`,
          'pin it as owner/repo/path@<40-char sha> # vX.Y.Z',
        );
      }
    }

    const steps = job.get('steps', true);
    for (const step of isSeq(steps) ? steps.items : []) {
      if (!isMap(step)) continue;
      const usesNode = step.get('uses', true) as Node | undefined;
      const action = scalarText(usesNode);
      const withNode = step.get('with', true);
      const run = scalarText(step.get('run', true)) ?? '';
      if (action !== undefined) {
        uses.push(action);
        const pinned = action.startsWith('./') || PINNED_ACTION.test(action) || PINNED_DOCKER.test(action);
        if (!pinned) {
          report(
            'E_WF_UNPINNED_ACTION',
            usesNode,
            `action '${action}' is not pinned to a full commit SHA`,
            'pin it as owner/repo@<40-char sha> # vX.Y.Z (tags can be moved by whoever controls the action)',
          );
        }
        if (/^actions\/checkout@/.test(action)) {
          const options = isMap(withNode) ? withNode : undefined;
          const ref = allText(options?.get('ref', true)) + allText(options?.get('repository', true));
          if (scalarText(options?.get('persist-credentials', true)) !== 'false') {
            report(
              'E_WF_PERSIST_CREDENTIALS',
              usesNode,
              `checkout in job '${id}' keeps the token in .git/config`,
              'add `with: persist-credentials: false`',
            );
          }
          const headRef = PR_HEAD_REF.test(ref);
          if (prt && headRef) {
            report(
              'E_WF_PRT_CHECKOUT',
              usesNode,
              `job '${id}' checks out the pull request's head under pull_request_target`,
              'run PR code only under `pull_request` (no secrets, read-only token)',
            );
          }
          // Under pull_request the default checkout IS the PR's code; elsewhere only an explicit head ref is.
          if ((prCodeByDefault && (ref === '' || headRef)) || (privileged && headRef)) checksOutPrCode = true;
        }
      }
      if (run && !installNode && PACKAGE_INSTALL.test(run)) installNode = step.get('run', true) as Node;
      if (run && UNTRUSTED_EXPRESSION.test(run)) {
        const expression = UNTRUSTED_EXPRESSION.exec(run)?.[0] ?? '';
        report(
          'E_WF_SCRIPT_INJECTION',
          step.get('run', true) as Node,
          `job '${id}' interpolates ${expression} into a shell script`,
          'pass it through `env:` (e.g. `env: TITLE: ${{ … }}` and use "$TITLE")',
        );
      }
      if (run && PR_HEAD_REF.test(run) && /\bgit\s+(fetch|checkout|switch|pull)\b|gh pr checkout/.test(run)) {
        if (prt) {
          report(
            'E_WF_PRT_CHECKOUT',
            step.get('run', true) as Node,
            `job '${id}' fetches the pull request's head under pull_request_target`,
            'run PR code only under `pull_request`',
          );
        }
        if (prCodeByDefault || privileged) checksOutPrCode = true;
      }
    }

    // Secrets in the job's (or workflow's) env reach every step, including package installs whose
    // dependencies' lifecycle scripts run arbitrary code.
    const broadSecrets = [...new Set([...secretsIn(allText(job.get('env', true))), ...workflowSecrets])];
    if (broadSecrets.length > 0 && installNode) {
      report(
        'E_WF_SECRET_TO_INSTALL',
        installNode,
        `job '${id}' gives ${broadSecrets.join(', ')} to every step, including a package install`,
        'move the secret to the `env:` of the step that needs it',
      );
    }
    const secrets = [...new Set([...secretsIn(allText(job)), ...workflowSecrets])];
    if (scalarText(job.get('secrets', true)) === 'inherit') secrets.push('(inherit)');
    const runsPullRequestCode = checksOutPrCode && !sameRepoOnly;
    if (runsPullRequestCode && secrets.length > 0) {
      report(
        'E_WF_FORK_SECRETS',
        pair.key as Node,
        `job '${id}' runs pull-request code (forks included) and uses secrets: ${secrets.join(', ')}`,
        'split the job: run fork PRs without secrets, and guard the secret job with `if: github.event.pull_request.head.repo.full_name == github.repository`',
      );
    }
    const signing = secrets.filter((name) => SIGNING_SECRET.test(name));
    if (signing.length > 0 && !ifRequires(guard, MAIN_REF_GUARD)) {
      report(
        'E_WF_SIGNING_UNGUARDED',
        pair.key as Node,
        `job '${id}' uses the signing secret ${signing.join(', ')} without requiring the main branch`,
        "add `if: github.ref == 'refs/heads/main'` to the job (and deployment branch rules on its environment), so no other branch's config is ever signed",
      );
    }
    facts.jobs.push({ id, uses, secrets, runsPullRequestCode });
  }
  return { value: facts, errors, warnings };
}
