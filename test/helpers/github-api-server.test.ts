/**
 * The GitHub API test server answers the calls exactly as Octokit makes them: refs URL-encoded in
 * one path segment, and file deletes through the contents API with GitHub's sha rules.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createGitHubClient } from '../../src/github/client.ts';
import { startGitHubApiServer, type GitHubApiServer } from './github-api-server.ts';

const TOKEN = 'ghs_helper';
let gh: GitHubApiServer | undefined;
afterEach(async () => {
  await gh?.close();
  gh = undefined;
});

async function setUp() {
  gh = await startGitHubApiServer();
  gh.addToken(TOKEN, { login: 'github-actions[bot]', id: 41898282, type: 'Bot', installation: true });
  gh.createRepo('acme', 'config', { 'a.yaml': 'a: 1\n', 'dir/b.yaml': 'b: 2\n' });
  return { gh, github: createGitHubClient({ token: TOKEN, apiUrl: gh.url }) };
}

const statusOf = (p: Promise<unknown>) =>
  p.then(
    () => 200,
    (e: { status?: number }) => e.status,
  );

describe('github-api-server: refs as Octokit encodes them', () => {
  it('git.getRef and git.updateRef with `heads/<branch>` (sent as heads%2F<branch>)', async () => {
    const { gh, github } = await setUp();
    const main = gh.state.repos.get('acme/config')!.branches.get('main')!;
    const ref = await github.rest.git.getRef({ owner: 'acme', repo: 'config', ref: 'heads/main' });
    expect(gh.requests.at(-1)?.path).toBe('/repos/acme/config/git/ref/heads%2Fmain');
    expect(ref.data).toMatchObject({ ref: 'refs/heads/main', object: { sha: main, type: 'commit' } });

    await github.rest.git.createRef({ owner: 'acme', repo: 'config', ref: 'refs/heads/feature/x', sha: main });
    const branch = await github.rest.git.getRef({ owner: 'acme', repo: 'config', ref: 'heads/feature/x' });
    expect(branch.data.ref).toBe('refs/heads/feature/x');
    await github.rest.git.updateRef({ owner: 'acme', repo: 'config', ref: 'heads/feature/x', sha: main, force: true });
    expect(gh.requests.at(-1)).toMatchObject({
      method: 'PATCH',
      path: '/repos/acme/config/git/refs/heads%2Ffeature%2Fx',
      status: 200,
    });

    expect(await statusOf(github.rest.git.getRef({ owner: 'acme', repo: 'config', ref: 'heads/nope' }))).toBe(404);
    expect(await statusOf(github.rest.git.getRef({ owner: 'acme', repo: 'config', ref: 'tags/v1' }))).toBe(404);
    // The unencoded form (what GitHub's docs show) still works.
    const raw = await github.request('GET /repos/{owner}/{repo}/git/ref/heads/main', { owner: 'acme', repo: 'config' });
    expect(raw.data.object.sha).toBe(main);
  });
});

describe('github-api-server: DELETE /repos/:o/:r/contents/:path', () => {
  it('deletes with the blob sha on a branch as one commit; refuses without it, with a stale one, or for a missing file', async () => {
    const { gh, github } = await setUp();
    const repo = gh.state.repos.get('acme/config')!;
    const main = repo.branches.get('main')!;
    await github.rest.git.createRef({ owner: 'acme', repo: 'config', ref: 'refs/heads/work', sha: main });
    const file = await github.rest.repos.getContent({ owner: 'acme', repo: 'config', path: 'dir/b.yaml', ref: 'work' });
    const sha = (file.data as { sha: string }).sha;

    // Octokit's types insist on `sha`; a raw request shows what GitHub does without it.
    const noSha = github.request('DELETE /repos/acme/config/contents/dir/b.yaml', { branch: 'work', message: 'rm' });
    expect(await statusOf(noSha)).toBe(422);
    expect(
      await statusOf(
        github.rest.repos.deleteFile({
          owner: 'acme',
          repo: 'config',
          path: 'dir/b.yaml',
          branch: 'work',
          sha: '0'.repeat(40),
          message: 'rm',
        }),
      ),
    ).toBe(409);
    expect(
      await statusOf(
        github.rest.repos.deleteFile({
          owner: 'acme',
          repo: 'config',
          path: 'dir/none.yaml',
          branch: 'work',
          sha,
          message: 'rm',
        }),
      ),
    ).toBe(404);
    expect(repo.branches.get('work')).toBe(main);

    const deleted = await github.rest.repos.deleteFile({
      owner: 'acme',
      repo: 'config',
      path: 'dir/b.yaml',
      branch: 'work',
      sha,
      message: 'remove b',
    });
    expect(deleted.status).toBe(200);
    expect(deleted.data.content).toBeNull();
    const head = repo.branches.get('work')!;
    expect(deleted.data.commit.sha).toBe(head);
    expect(repo.commits.get(head)).toMatchObject({ parent: main, message: 'remove b' });
    expect(gh.readFile('acme', 'config', 'work', 'dir/b.yaml')).toBeUndefined();
    expect(gh.readFile('acme', 'config', 'work', 'a.yaml')).toBe('a: 1\n');
    expect(gh.readFile('acme', 'config', 'main', 'dir/b.yaml')).toBe('b: 2\n');
    expect(
      await statusOf(github.rest.repos.getContent({ owner: 'acme', repo: 'config', path: 'dir/b.yaml', ref: 'work' })),
    ).toBe(404);
  });
});
