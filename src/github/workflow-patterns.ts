/** What the workflow policy (workflow-policy.ts) looks for: events, expressions, guards, commands. */

/** Events whose default checkout, or whose payload's head ref, is code from a pull request (possibly a fork). */
export const PR_EVENTS = new Set(['pull_request', 'pull_request_review', 'pull_request_review_comment']);
export const PRIVILEGED_PR_EVENTS = new Set(['pull_request_target', 'workflow_run', 'issue_comment']);

/** Expressions that name the PR's head (untrusted) revision. */
export const PR_HEAD_REF =
  /pull_request\.head|github\.head_ref|refs\/pull\/|workflow_run\.head_(sha|branch)|workflow_run\.head_repository|merge_commit_sha|gh pr checkout/;

/** Shell commands that fetch or check out a revision (with PR_HEAD_REF: the PR's head). */
export const GIT_FETCH = /\bgit\s+(fetch|checkout|switch|pull)\b|gh pr checkout/;

/**
 * `if:` terms that restrict a job to PRs whose head lives in this repository (so secrets are not exposed
 * to forks). A term counts only as the whole `if:` or a top-level `&&` term (see if-expression.ts):
 * `guard || true` is no guard.
 */
export const SAME_REPO_GUARD = [
  /^(github\.event\.)?pull_request\.head\.repo\.full_name ?== ?github\.repository$/,
  /^github\.repository ?== ?(github\.event\.)?pull_request\.head\.repo\.full_name$/,
  /^(github\.event\.)?pull_request\.head\.repo\.fork ?== ?false$/,
  /^! ?(github\.event\.)?pull_request\.head\.repo\.fork$/,
  /^(github\.event\.)?workflow_run\.head_repository\.full_name ?== ?github\.repository$/,
  /^github\.repository ?== ?(github\.event\.)?workflow_run\.head_repository\.full_name$/,
];

/** `if:` terms that restrict a job to the main branch (a workflow_dispatch can name any branch). */
export const MAIN_REF_GUARD = [/^github\.ref ?== ?'refs\/heads\/main'$/, /^'refs\/heads\/main' ?== ?github\.ref$/];

/** Commands that run third-party install scripts. */
export const PACKAGE_INSTALL = /\b(npm (ci|install|i)|yarn( install)?|pnpm (install|i))\b/;

/** Secrets that sign what runtimes will trust: only main's config may be signed with them. */
export const SIGNING_SECRET = /SIGNING/i;

/** Expression contexts whose values an outsider (or a dispatching user) controls. */
export const UNTRUSTED_EXPRESSION =
  /\$\{\{[^}]*(github\.event\.(pull_request|issue|comment|review|review_comment|discussion|pages|commits|head_commit|workflow_run)\.[\w.]*(title|body|label|ref|message|name|email|head_branch|default_branch|page_name)\b|github\.head_ref|inputs\.|github\.event\.inputs\.)[^}]*\}\}/;

export const PINNED_ACTION = /^[\w.-]+\/[\w.-]+(\/[^@]*)?@[0-9a-f]{40}$/;
export const PINNED_DOCKER = /^docker:\/\/[^@]+@sha256:[0-9a-f]{64}$/;
