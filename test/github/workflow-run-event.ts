/**
 * The `workflow_run` event the comment job reads (`GITHUB_EVENT_PATH`): a successful pull-request
 * run of acme/config, from the same repository (not a fork), for the tests that post a comment.
 */
export function workflowRunEvent(options: { pr: number; headSha: string; id?: number; branch?: string }): object {
  return {
    repository: { name: 'config', owner: { login: 'acme' } },
    workflow_run: {
      id: options.id ?? 1,
      event: 'pull_request',
      conclusion: 'success',
      head_sha: options.headSha,
      head_branch: options.branch ?? 'b',
      head_repository: { full_name: 'acme/config' },
      pull_requests: [{ number: options.pr }],
    },
  };
}
