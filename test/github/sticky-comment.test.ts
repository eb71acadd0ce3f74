import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startGitHubApiServer, type GitHubApiServer } from '../helpers/github-api-server.ts';
import { createGitHubClient } from '../../src/github/client.ts';
import { MAX_COMMENT_CHARS, REPORT_MARKER } from '../../src/github/comment-body.ts';
import { ACTIONS_BOT_LOGIN, upsertStickyComment } from '../../src/github/sticky-comment.ts';

const target = { owner: 'acme', repo: 'config', issueNumber: 7 };

describe('sticky PR comment against a local GitHub API over HTTP', () => {
  let gh: GitHubApiServer;
  beforeEach(async () => {
    gh = await startGitHubApiServer();
    gh.createRepo('acme', 'config');
    // GITHUB_TOKEN is an installation token: GET /user answers 403 and it acts as github-actions[bot].
    gh.addToken('ghs_actions', { login: ACTIONS_BOT_LOGIN, id: 41898282, type: 'Bot', installation: true });
    gh.addToken('ghp_alice', { login: 'alice', id: 1, type: 'User' });
  });
  afterEach(async () => gh.close());

  const comments = () => gh.state.repos.get('acme/config')?.comments.get(7) ?? [];

  it('creates on the first run, edits the same comment on the second', async () => {
    const client = createGitHubClient({ token: 'ghs_actions', apiUrl: gh.url });
    const first = await upsertStickyComment(client, target, '## Verdict: pass\n', { marker: REPORT_MARKER });
    expect(first.action).toBe('created');
    expect(first.selfLogin).toBe(ACTIONS_BOT_LOGIN);
    expect(comments()).toHaveLength(1);

    const second = await upsertStickyComment(client, target, '## Verdict: fail\n', { marker: REPORT_MARKER });
    expect(second.action).toBe('updated');
    expect(second.commentId).toBe(first.commentId);
    expect(comments()).toHaveLength(1);
    expect(comments()[0]?.body).toBe(`${REPORT_MARKER}\n## Verdict: fail\n`);

    const third = await upsertStickyComment(client, target, '## Verdict: fail\n', { marker: REPORT_MARKER });
    expect(third.action).toBe('unchanged');
    expect(gh.requests.filter((r) => r.method === 'PATCH')).toHaveLength(1);
    expect(gh.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
  });

  it('leaves a comment from another user carrying the same marker alone', async () => {
    const forged = gh.seedComment('acme', 'config', 7, 'alice', `${REPORT_MARKER}\nlooks like the bot, is not`);
    const client = createGitHubClient({ token: 'ghs_actions', apiUrl: gh.url });
    const result = await upsertStickyComment(client, target, 'real report', { marker: REPORT_MARKER });
    expect(result.action).toBe('created');
    expect(result.foreignMarked).toBe(1);
    expect(comments()).toHaveLength(2);
    expect(comments().find((c) => c.id === forged.id)?.body).toBe(`${REPORT_MARKER}\nlooks like the bot, is not`);
    expect(gh.requests.some((r) => r.method === 'PATCH')).toBe(false);
  });

  it('finds its comment beyond the first page (Link header pagination, > 100 comments)', async () => {
    const client = createGitHubClient({ token: 'ghs_actions', apiUrl: gh.url });
    for (let i = 0; i < 150; i += 1) gh.seedComment('acme', 'config', 7, 'alice', `chatter ${i}`);
    const created = await upsertStickyComment(client, target, 'v1', { marker: REPORT_MARKER });
    expect(created.action).toBe('created');
    for (let i = 0; i < 80; i += 1) gh.seedComment('acme', 'config', 7, 'alice', `more chatter ${i}`);

    gh.requests.length = 0;
    const updated = await upsertStickyComment(client, target, 'v2', { marker: REPORT_MARKER });
    expect(updated.action).toBe('updated');
    expect(updated.commentId).toBe(created.commentId);
    expect(updated.scanned).toBe(231);
    const listCalls = gh.requests.filter((r) => r.method === 'GET' && r.path.endsWith('/issues/7/comments'));
    expect(listCalls.map((r) => r.query.page ?? '1')).toEqual(['1', '2', '3']);
    expect(comments().filter((c) => c.body.includes(REPORT_MARKER))).toHaveLength(1);
  });

  it('identifies itself with GET /user when the token allows it', async () => {
    const client = createGitHubClient({ token: 'ghp_alice', apiUrl: gh.url });
    gh.seedComment('acme', 'config', 7, ACTIONS_BOT_LOGIN, `${REPORT_MARKER}\nbot's comment`);
    const result = await upsertStickyComment(client, target, 'alice runs it locally', { marker: REPORT_MARKER });
    expect(result.selfLogin).toBe('alice');
    expect(result.action).toBe('created');
    expect(comments().map((c) => c.user.login)).toEqual([ACTIONS_BOT_LOGIN, 'alice']);
  });

  it('cuts an oversized report to fit GitHub and says so', async () => {
    const client = createGitHubClient({ token: 'ghs_actions', apiUrl: gh.url });
    const huge = Array.from({ length: 5000 }, (_, i) => `| row ${i} | ${'x'.repeat(20)} |`).join('\n');
    await upsertStickyComment(client, target, huge, { marker: REPORT_MARKER });
    const body = comments()[0]?.body ?? '';
    expect(body.length).toBeLessThanOrEqual(MAX_COMMENT_CHARS);
    expect(body).toContain('The report was cut');
  });

  it('surfaces API errors (bad credentials) instead of swallowing them', async () => {
    const client = createGitHubClient({ token: 'wrong', apiUrl: gh.url });
    await expect(
      upsertStickyComment(client, target, 'x', { marker: REPORT_MARKER, selfLogin: 'x' }),
    ).rejects.toMatchObject({ status: 401 });
  });
});
