/**
 * `switchyard github setup`: what makes the gate binding on GitHub. A green `pr` check means nothing
 * if a PR can merge without it, and a policy threshold means nothing if the change it judges may also
 * edit it unreviewed. So: branch protection on the default branch requiring the `pr` workflow's jobs
 * and a code-owner review, and a CODEOWNERS block that puts the policy files (switchyard.yaml with
 * the gate thresholds, workflows, scripts, schemas, CODEOWNERS itself) under named owners.
 */
import { parse } from 'yaml';
import type { GitHubClient } from './client.ts';

/** Files whose changes change the rules of the gate. */
export const POLICY_PATHS = [
  '/switchyard.yaml',
  '/.github/',
  '/scripts/',
  '/schemas/',
  '/src/',
  '/bin/',
  '/package.json',
  '/package-lock.json',
  '/.github/CODEOWNERS',
] as const;

const BEGIN = '# >>> switchyard: policy files (managed by `switchyard github setup`) >>>';
const END = '# <<< switchyard <<<';

/**
 * The job names (check names) of the `pr` workflow, from its YAML. Matrix jobs are left out: their
 * checks are named per cell ("eval-shard (2)"), so a context with the bare name would never report
 * and would block every PR; the job that collects them (`evaluate`) is required instead. Jobs that a
 * condition skips report success, which is why `plan` must be required too: when it fails, the jobs
 * after it are skipped, not failed.
 */
export function prCheckNames(workflowText: string): string[] {
  const doc = parse(workflowText) as {
    jobs?: Record<string, { name?: unknown; strategy?: { matrix?: unknown } }>;
  } | null;
  return Object.entries(doc?.jobs ?? {})
    .filter(([, job]) => job?.strategy?.matrix === undefined)
    .map(([id, job]) => (typeof job?.name === 'string' ? job.name : id))
    .sort();
}

/** CODEOWNERS with the managed block replaced (or appended); lines outside the block are kept. */
export function codeownersWithPolicy(existing: string, owners: readonly string[]): string {
  const block = [
    BEGIN,
    '# The gate reads its thresholds from the base commit; changing them needs these owners (docs/evaluation.md).',
    ...POLICY_PATHS.map((p) => `${p} ${owners.join(' ')}`),
    END,
  ].join('\n');
  const start = existing.indexOf(BEGIN);
  const end = existing.indexOf(END);
  if (start >= 0 && end > start) return `${existing.slice(0, start)}${block}${existing.slice(end + END.length)}`;
  const prefix = existing.length === 0 || existing.endsWith('\n') ? existing : `${existing}\n`;
  return `${prefix}${prefix.length > 0 ? '\n' : ''}${block}\n`;
}

/** The branch protection request: required `pr` checks on an up-to-date branch, code-owner review. */
export function protectionRequest(checks: readonly string[]): {
  required_status_checks: { strict: boolean; contexts: string[] };
  enforce_admins: boolean;
  required_pull_request_reviews: {
    require_code_owner_reviews: boolean;
    required_approving_review_count: number;
    dismiss_stale_reviews: boolean;
  };
  restrictions: null;
  allow_force_pushes: boolean;
  allow_deletions: boolean;
} {
  return {
    required_status_checks: { strict: true, contexts: [...checks] },
    enforce_admins: true,
    required_pull_request_reviews: {
      require_code_owner_reviews: true,
      required_approving_review_count: 1,
      dismiss_stale_reviews: true,
    },
    restrictions: null,
    allow_force_pushes: false,
    allow_deletions: false,
  };
}

export interface SetupResult {
  branch: string;
  checks: string[];
  codeowners: 'created' | 'updated' | 'unchanged';
}

/** Applies both settings through the REST API; idempotent (an unchanged CODEOWNERS is not rewritten). */
export async function setupRepository(
  client: GitHubClient,
  options: { owner: string; repo: string; owners: string[]; checks: string[]; branch?: string },
): Promise<SetupResult> {
  const { owner, repo } = options;
  const branch = options.branch ?? (await client.rest.repos.get({ owner, repo })).data.default_branch;
  const path = '.github/CODEOWNERS';
  const current = await client.rest.repos
    .getContent({ owner, repo, path, ref: branch })
    .catch((e: { status?: number }) => {
      if (e.status === 404) return undefined;
      throw e;
    });
  const file = current && !Array.isArray(current.data) && current.data.type === 'file' ? current.data : undefined;
  const before = file && 'content' in file ? Buffer.from(file.content, 'base64').toString('utf8') : '';
  const after = codeownersWithPolicy(before, options.owners);
  let codeowners: SetupResult['codeowners'] = 'unchanged';
  if (after !== before) {
    await client.rest.repos.createOrUpdateFileContents({
      owner,
      repo,
      path,
      branch,
      message: 'CODEOWNERS: policy files need their owners (switchyard github setup)',
      content: Buffer.from(after).toString('base64'),
      ...(file ? { sha: file.sha } : {}),
    });
    codeowners = file ? 'updated' : 'created';
  }
  await client.rest.repos.updateBranchProtection({ owner, repo, branch, ...protectionRequest(options.checks) });
  return { branch, checks: options.checks, codeowners };
}
