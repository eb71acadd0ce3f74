import type { GitHubClient } from './client.ts';
import { stickyBody } from './comment-body.ts';

/** The login GITHUB_TOKEN acts as; it cannot call `GET /user`, so this is the fallback identity. */
export const ACTIONS_BOT_LOGIN = 'github-actions[bot]';

export interface StickyTarget {
  owner: string;
  repo: string;
  /** Pull request (issue) number. */
  issueNumber: number;
}

export interface StickyOptions {
  /** Hidden HTML comment that marks our comment; it is put first in the body. */
  marker: string;
  /** Our own login; when omitted it is looked up with `GET /user` (falls back to github-actions[bot]). */
  selfLogin?: string;
}

export interface StickyResult {
  action: 'created' | 'updated' | 'unchanged';
  commentId: number;
  url: string;
  selfLogin: string;
  /** How many comments were read to find ours (all pages). */
  scanned: number;
  /** Comments that carry the marker but were written by someone else, left alone. */
  foreignMarked: number;
}

/**
 * Who the token acts as. Personal tokens and GitHub App user tokens can ask `GET /user`; installation
 * tokens (GITHUB_TOKEN) get 403 and always act as `github-actions[bot]`.
 */
export async function resolveSelfLogin(client: GitHubClient): Promise<string> {
  try {
    const { data } = await client.rest.users.getAuthenticated();
    return data.login;
  } catch (error) {
    const status = (error as { status?: number }).status;
    if (status === 403 || status === 401 || status === 404) return ACTIONS_BOT_LOGIN;
    throw error;
  }
}

/**
 * Creates or edits the ONE comment on a pull request that carries `marker` and was written by us.
 * Every page of comments is read (a busy PR has hundreds); a comment with the same marker from any
 * other account is never touched — anyone can paste our marker, and editing their text would be both
 * wrong and a way to make the bot overwrite a human's words.
 */
export async function upsertStickyComment(
  client: GitHubClient,
  target: StickyTarget,
  body: string,
  options: StickyOptions,
): Promise<StickyResult> {
  const selfLogin = options.selfLogin ?? (await resolveSelfLogin(client));
  const text = stickyBody(options.marker, body);
  let scanned = 0;
  let foreignMarked = 0;
  let ours: { id: number; body: string; html_url: string } | undefined;
  const pages = client.paginate.iterator(client.rest.issues.listComments, {
    owner: target.owner,
    repo: target.repo,
    issue_number: target.issueNumber,
    per_page: 100,
  });
  for await (const page of pages) {
    for (const comment of page.data) {
      scanned += 1;
      if (!comment.body?.includes(options.marker)) continue;
      if (comment.user?.login !== selfLogin) {
        foreignMarked += 1;
        continue;
      }
      // The oldest of our comments is the sticky one; later duplicates (a race) are left as they are.
      ours ??= { id: comment.id, body: comment.body, html_url: comment.html_url };
    }
  }
  const base = { selfLogin, scanned, foreignMarked };
  if (ours && ours.body === text) return { action: 'unchanged', commentId: ours.id, url: ours.html_url, ...base };
  if (ours) {
    const { data } = await client.rest.issues.updateComment({
      owner: target.owner,
      repo: target.repo,
      comment_id: ours.id,
      body: text,
    });
    return { action: 'updated', commentId: data.id, url: data.html_url, ...base };
  }
  const { data } = await client.rest.issues.createComment({
    owner: target.owner,
    repo: target.repo,
    issue_number: target.issueNumber,
    body: text,
  });
  return { action: 'created', commentId: data.id, url: data.html_url, ...base };
}
