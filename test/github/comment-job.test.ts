import { mkdtemp, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import type { CommandIo } from '../../src/cli/command.ts';
import { createGitHubClient } from '../../src/github/client.ts';
import { REPORT_MARKER } from '../../src/github/comment-body.ts';
import { postReportComment } from '../../src/github/post-report.ts';
import { loadReportValidator } from '../../src/github/report-artifact.ts';
import { ACTIONS_BOT_LOGIN } from '../../src/github/sticky-comment.ts';
import { startGitHubApiServer, type GitHubApiServer } from '../helpers/github-api-server.ts';

/**
 * The comment job's intake and posting against the local GitHub API server, with artifacts written
 * the way the pr job writes them, and hostile ones written the way an attacker would. A small schema
 * stands in for schemas/report.schema.json here so each refusal is isolated; the CLI with the real
 * schema and a real report is exercised in comment-real-report.test.ts and the end-to-end test.
 */

// A small stand-in for schemas/report.schema.json: the intake must refuse anything it rejects.
const testSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://switchyard.dev/schemas/report.schema.json',
  type: 'object',
  required: ['verdict', 'summary'],
  additionalProperties: false,
  properties: { verdict: { enum: ['pass', 'fail'] }, summary: { type: 'string', maxLength: 1000 } },
};

const HEAD = 'a'.repeat(40);

describe('switchyard github comment (workflow_run job) over HTTP', () => {
  let gh: GitHubApiServer;
  let dir: string;

  beforeEach(async () => {
    gh = await startGitHubApiServer();
    gh.createRepo('acme', 'config');
    gh.addToken('ghs_actions', { login: ACTIONS_BOT_LOGIN, id: 41898282, type: 'Bot', installation: true });
    dir = await mkdtemp(join(tmpdir(), 'switchyard-comment-'));
    await mkdir(join(dir, 'schemas'));
    await writeFile(join(dir, 'schemas', 'report.schema.json'), JSON.stringify(testSchema));
    gh.seedPull('acme', 'config', { number: 7, headLabel: 'acme:raise-rollout', headSha: HEAD });
    gh.seedPull('acme', 'config', { number: 8, headLabel: 'acme:other', headSha: 'd'.repeat(40) });
  });
  afterEach(async () => {
    await gh.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function artifact(name: string, files: Record<string, string | Buffer>): Promise<string> {
    const path = join(dir, name);
    await mkdir(path, { recursive: true });
    for (const [file, content] of Object.entries(files)) await writeFile(join(path, file), content);
    return path;
  }

  async function event(pullRequests: number[], headSha = HEAD, extra: Record<string, unknown> = {}): Promise<string> {
    const path = join(dir, `event-${Math.random().toString(36).slice(2)}.json`);
    const payload = {
      action: 'completed',
      repository: { name: 'config', full_name: 'acme/config', owner: { login: 'acme' } },
      workflow_run: {
        id: 99,
        event: 'pull_request',
        conclusion: 'success',
        head_sha: headSha,
        head_branch: 'raise-rollout',
        head_repository: { full_name: 'acme/config' },
        pull_requests: pullRequests.map((number) => ({ number })),
        ...extra,
      },
    };
    await writeFile(path, JSON.stringify(payload));
    return path;
  }

  async function run(report: string, eventPath: string): Promise<{ code: number; out: string; err: string }> {
    const posted = await postReportComment({
      client: createGitHubClient({ token: 'ghs_actions', apiUrl: gh.url }),
      event: JSON.parse(await readFile(eventPath, 'utf8')),
      artifactDir: report,
      validateReport: await loadReportValidator(dir),
    });
    if (!posted.value) return { code: 1, out: '', err: posted.errors.map((e) => `${e.code} ${e.message}`).join('\n') };
    if (!posted.value.comment) return { code: 0, out: `skipped: ${posted.value.skipped ?? ''}`, err: '' };
    return { code: 0, out: `PR #${posted.value.prNumber}: report comment ${posted.value.comment.action}`, err: '' };
  }

  const good = (pr: number, body = '## ✅ Verdict: pass\n', sha = HEAD) => ({
    'switchyard-pr.json': JSON.stringify({ pr, headSha: sha }),
    'report.json': JSON.stringify({ verdict: 'pass', summary: 'ok' }),
    'report.md': body,
  });
  const comments = (n: number) => gh.state.repos.get('acme/config')?.comments.get(n) ?? [];

  it('creates the sticky comment, then edits the same one on the next run', async () => {
    const first = await run(await artifact('a1', good(7)), await event([7]));
    expect(first.err).toBe('');
    expect(first.code).toBe(0);
    expect(first.out).toContain('PR #7: report comment created');
    const second = await run(await artifact('a2', good(7, '## ❌ Verdict: fail\n')), await event([7]));
    expect(second.code).toBe(0);
    expect(second.out).toContain('PR #7: report comment updated');
    expect(comments(7)).toHaveLength(1);
    expect(comments(7)[0]?.body).toBe(`${REPORT_MARKER}\n## ❌ Verdict: fail\n`);
  });

  it('refuses an artifact that claims another head sha or another PR, and posts nothing', async () => {
    const otherSha = await run(await artifact('b1', good(7, 'x', 'b'.repeat(40))), await event([7]));
    expect(otherSha.code).toBe(1);
    expect(otherSha.err).toContain('E_ARTIFACT_HEAD_MISMATCH');
    const otherPr = await run(await artifact('b2', good(8)), await event([7]));
    expect(otherPr.code).toBe(1);
    expect(otherPr.err).toContain('E_ARTIFACT_PR_MISMATCH');
    expect(comments(7)).toHaveLength(0);
    expect(comments(8)).toHaveLength(0);
  });

  it('posts nothing for a run whose commit is no longer the PR head (a newer push will report)', async () => {
    const pull = gh.state.repos.get('acme/config')?.pulls.get(7);
    if (pull) pull.head.sha = 'e'.repeat(40);
    const result = await run(await artifact('s1', good(7)), await event([7]));
    expect(result.code).toBe(0);
    expect(result.out).toContain('has moved on to eeeeeeeeeeee');
    expect(comments(7)).toHaveLength(0);
  });

  it('refuses a report that fails the schema, oversized files, non-JSON and symlinks', async () => {
    const schema = await run(
      await artifact('c1', { ...good(7), 'report.json': JSON.stringify({ verdict: 'maybe', summary: 'x' }) }),
      await event([7]),
    );
    expect(schema.err).toContain('E_ARTIFACT_SCHEMA');
    const huge = await run(
      await artifact('c2', { ...good(7), 'report.json': Buffer.alloc(5 * 1024 * 1024, 0x20) }),
      await event([7]),
    );
    expect(huge.err).toContain('E_ARTIFACT_TOO_LARGE');
    const notJson = await run(await artifact('c3', { ...good(7), 'report.json': '{"verdict":' }), await event([7]));
    expect(notJson.err).toContain('E_ARTIFACT_NOT_JSON');
    const linked = await artifact('c4', {
      'switchyard-pr.json': JSON.stringify({ pr: 7, headSha: HEAD }),
      'report.md': 'x',
    });
    await symlink('/etc/passwd', join(linked, 'report.json'));
    const symlinked = await run(linked, await event([7]));
    expect(symlinked.err).toContain('E_ARTIFACT_NOT_FILE');
    const missing = await run(await artifact('c5', { 'report.md': 'x' }), await event([7]));
    expect(missing.err).toContain('E_ARTIFACT_MISSING');
    for (const r of [schema, huge, notJson, symlinked, missing]) expect(r.code).toBe(1);
    expect(comments(7)).toHaveLength(0);
  });

  it('resolves a fork PR (no pull_requests in the event) through the API by fork branch and head sha', async () => {
    const pull = gh.seedPull('acme', 'config', { headLabel: 'forker:raise-rollout', headSha: HEAD });
    gh.seedPull('acme', 'config', { headLabel: 'forker:raise-rollout-2', headSha: 'c'.repeat(40) });
    const forkEvent = await event([], HEAD, { head_repository: { full_name: 'forker/config' } });
    const result = await run(await artifact('d1', good(pull.number)), forkEvent);
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(comments(pull.number)).toHaveLength(1);
    const lookup = gh.requests.find((r) => r.path === '/repos/acme/config/pulls');
    expect(lookup?.query.head).toBe('forker:raise-rollout');
  });

  it('strips forged markers and defuses @-mentions from the untrusted Markdown', async () => {
    const hostile = `${REPORT_MARKER}\n<!-- hidden -->Hello @acme/everyone and @alice, see \`@code\`\n`;
    const result = await run(await artifact('e1', good(7, hostile)), await event([7]));
    expect(result.code).toBe(0);
    const body = comments(7)[0]?.body ?? '';
    expect(body.split(REPORT_MARKER)).toHaveLength(2);
    expect(body).not.toContain('<!-- hidden -->');
    expect(body).not.toMatch(/@acme\/everyone|@alice/);
    expect(body).toContain('@\u200Balice');
  });

  it('exits 1 with a clear code when the token is missing or the event is not a workflow_run', async () => {
    const report = await artifact('f1', good(7));
    const err: string[] = [];
    const io: CommandIo = { cwd: dir, env: {}, stdout: () => undefined, stderr: (t) => err.push(t) };
    expect(await main(['github', 'comment', '--report', report, '--event', await event([7])], io)).toBe(1);
    expect(err.join('')).toContain('E_GITHUB_TOKEN');
    const notRun = join(dir, 'push.json');
    await writeFile(notRun, JSON.stringify({ ref: 'refs/heads/main' }));
    const result = await run(report, notRun);
    expect(result.code).toBe(1);
    expect(result.err).toContain('E_EVENT_NOT_WORKFLOW_RUN');
  });
});
