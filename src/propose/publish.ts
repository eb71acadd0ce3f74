import type { GitHubClient } from '../github/client.ts';
import type { Proposal } from './types.ts';

export interface PublishTarget {
  owner: string;
  repo: string;
  /** Branch the proposals are made against (default branch). */
  base: string;
}

export type PublishOutcome =
  | { status: 'opened'; branch: string; number: number; url: string; merged: boolean }
  | { status: 'exists'; branch: string; number: number; url: string }
  | { status: 'failed'; branch: string; code: string; message: string };

const isStatus = (error: unknown, status: number) => (error as { status?: number })?.status === status;

/**
 * Opens one branch and one pull request for a proposal through the GitHub REST API (contents API,
 * one commit per file), labels it, and merges it when the proposal says so. Idempotent: an open PR
 * from the proposal's branch is reported as `exists`, never duplicated. A base file that no longer
 * matches what the analysis read is refused (E_PROPOSE_STALE) rather than overwritten.
 */
export async function publishProposal(
  github: GitHubClient,
  target: PublishTarget,
  proposal: Proposal,
): Promise<PublishOutcome> {
  const { owner, repo, base } = target;
  const branch = proposal.branch;
  try {
    const open = await github.rest.pulls.list({ owner, repo, state: 'open', head: `${owner}:${branch}`, base });
    if (open.data.length > 0) {
      const pr = open.data[0]!;
      return { status: 'exists', branch, number: pr.number, url: pr.html_url };
    }
    const baseSha = (await github.rest.repos.getBranch({ owner, repo, branch: base })).data.commit.sha;
    for (const edit of proposal.edits) {
      const current = await github.rest.repos.getContent({ owner, repo, path: edit.path, ref: baseSha });
      const data = current.data as { content?: string; encoding?: string };
      const text = data.content !== undefined ? Buffer.from(data.content, 'base64').toString('utf8') : '';
      if (text !== edit.before) {
        return {
          status: 'failed',
          branch,
          code: 'E_PROPOSE_STALE',
          message: `${edit.path} on ${base} differs from the analysed checkout; re-run propose on the current ${base}`,
        };
      }
    }
    try {
      await github.rest.git.createRef({ owner, repo, ref: `refs/heads/${branch}`, sha: baseSha });
    } catch (error) {
      // A branch left behind by an earlier run whose PR was closed: start it again from the base.
      if (!isStatus(error, 422)) throw error;
      // The branch name goes into the path as is (slashes unescaped), the way GitHub documents refs.
      await github.request(`PATCH /repos/{owner}/{repo}/git/refs/heads/${branch}`, {
        owner,
        repo,
        sha: baseSha,
        force: true,
      });
    }
    for (const edit of proposal.edits) {
      const current = await github.rest.repos.getContent({ owner, repo, path: edit.path, ref: branch });
      const sha = (current.data as { sha: string }).sha;
      const message = proposal.commitMessage;
      if (edit.action === 'update') {
        await github.rest.repos.createOrUpdateFileContents({
          owner,
          repo,
          path: edit.path,
          branch,
          sha,
          message,
          content: Buffer.from(edit.after, 'utf8').toString('base64'),
        });
      } else {
        await github.rest.repos.deleteFile({ owner, repo, path: edit.path, branch, sha, message });
      }
    }
    const pr = await github.rest.pulls.create({
      owner,
      repo,
      head: branch,
      base,
      title: proposal.title,
      body: proposal.body,
    });
    await github.rest.issues.addLabels({
      owner,
      repo,
      issue_number: pr.data.number,
      labels: ['switchyard', `switchyard:${proposal.action}`],
    });
    let merged = false;
    if (proposal.autoMerge) {
      const result = await github.rest.pulls.merge({
        owner,
        repo,
        pull_number: pr.data.number,
        sha: pr.data.head.sha,
        merge_method: 'squash',
      });
      merged = result.data.merged;
    }
    return { status: 'opened', branch, number: pr.data.number, url: pr.data.html_url, merged };
  } catch (error) {
    const status = (error as { status?: number }).status;
    return {
      status: 'failed',
      branch,
      code: status ? `E_PROPOSE_GITHUB_${status}` : 'E_PROPOSE_GITHUB',
      message: (error as Error).message,
    };
  }
}
