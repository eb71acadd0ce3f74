import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import type { CommandIo } from '../../src/cli/command.ts';
import { REPORT_MARKER } from '../../src/github/comment-body.ts';
import { ACTIONS_BOT_LOGIN } from '../../src/github/sticky-comment.ts';
import { startGitHubApiServer, type GitHubApiServer } from '../helpers/github-api-server.ts';
import { workflowRunEvent } from './workflow-run-event.ts';

/**
 * The comment job exactly as comment.yml runs it — `switchyard github comment` from the repository
 * root (the real schemas/report.schema.json) — on the evaluator's golden report.
 */
const root = join(import.meta.dirname, '..', '..');
const HEAD = '3'.repeat(40);

describe('switchyard github comment with the real report schema', () => {
  let gh: GitHubApiServer;
  let dir: string;
  beforeEach(async () => {
    gh = await startGitHubApiServer();
    gh.createRepo('acme', 'config');
    gh.addToken('ghs_actions', { login: ACTIONS_BOT_LOGIN, id: 41898282, type: 'Bot', installation: true });
    dir = await mkdtemp(join(tmpdir(), 'switchyard-comment-real-'));
    gh.seedPull('acme', 'config', { number: 4, headLabel: 'acme:b', headSha: HEAD });
  });
  afterEach(async () => {
    await gh.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function comment(reportJson: string, reportMd: string): Promise<{ code: number; err: string; out: string }> {
    await writeFile(join(dir, 'report.json'), reportJson);
    await writeFile(join(dir, 'report.md'), reportMd);
    await writeFile(join(dir, 'switchyard-pr.json'), JSON.stringify({ pr: 4, headSha: HEAD }));
    const event = join(dir, 'event.json');
    await writeFile(event, JSON.stringify(workflowRunEvent({ pr: 4, headSha: HEAD })));
    const out: string[] = [];
    const err: string[] = [];
    const io: CommandIo = {
      cwd: root,
      env: { GITHUB_TOKEN: 'ghs_actions', GITHUB_API_URL: gh.url },
      stdout: (t) => out.push(t),
      stderr: (t) => err.push(t),
    };
    const code = await main(['github', 'comment', '--report', dir, '--event', event], io);
    return { code, err: err.join('\n'), out: out.join('\n') };
  }

  it('posts the golden report re-rendered from report.json, ignoring what report.md says', async () => {
    const golden = await readFile(join(root, 'test', 'fixtures', 'golden-report', 'report.json'), 'utf8');
    const goldenMd = await readFile(join(root, 'test', 'fixtures', 'golden-report', 'report.md'), 'utf8');
    const result = await comment(golden, '## ✅ Totally safe, merge now [click](https://evil.example)\n');
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    const body = gh.state.repos.get('acme/config')?.comments.get(4)?.[0]?.body ?? '';
    expect(body.startsWith(`${REPORT_MARKER}\n`)).toBe(true);
    expect(body).not.toContain('evil.example');
    // Same verdict line and sections as the evaluator's own rendering of the golden report.
    expect(body.split('\n')[1]).toBe(goldenMd.split('\n')[0]);
    expect(body).toContain('## What changes for users');
  });

  it('refuses a report that does not match schemas/report.schema.json', async () => {
    const golden = JSON.parse(await readFile(join(root, 'test', 'fixtures', 'golden-report', 'report.json'), 'utf8'));
    const result = await comment(JSON.stringify({ ...golden, verdict: 'trust me' }), 'x');
    expect(result.code).toBe(1);
    expect(result.err).toContain('E_ARTIFACT_SCHEMA');
    expect(gh.state.repos.get('acme/config')?.comments.get(4)).toBeUndefined();
  });
});
