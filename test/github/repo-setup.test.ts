import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import type { CommandIo } from '../../src/cli/command.ts';
import { codeownersWithPolicy, POLICY_PATHS } from '../../src/github/repo-setup.ts';
import { startGitHubApiServer, type GitHubApiServer } from '../helpers/github-api-server.ts';

/**
 * `switchyard github setup` against the local GitHub API server: branch protection requiring the
 * jobs of this repository's pr.yml and a code-owner review, and the CODEOWNERS block for policy
 * files — idempotent, keeping the lines it does not manage.
 */
const root = join(import.meta.dirname, '..', '..');

describe('switchyard github setup', () => {
  let gh: GitHubApiServer;
  beforeEach(async () => {
    gh = await startGitHubApiServer();
    gh.addToken('ghp_admin', { login: 'octo-admin', id: 7, type: 'User' });
    gh.createRepo('acme', 'config', { '.github/CODEOWNERS': '/docs/ @acme/writers\n' });
  });
  afterEach(() => gh.close());

  async function setup(...args: string[]): Promise<{ code: number; text: string }> {
    const lines: string[] = [];
    const io: CommandIo = {
      cwd: root,
      env: { GITHUB_TOKEN: 'ghp_admin', GITHUB_API_URL: gh.url },
      stdout: (t) => lines.push(t),
      stderr: (t) => lines.push(t),
    };
    const code = await main(['github', 'setup', ...args], io);
    return { code, text: lines.join('\n') };
  }

  it('requires the pr checks and code-owner review on the default branch, and owns the policy files', async () => {
    const first = await setup('--repo', 'acme/config', '--owner', '@acme/platform');
    expect(first.code, first.text).toBe(0);
    const protection = gh.state.repos.get('acme/config')?.protection.get('main') as {
      required_status_checks: unknown;
      enforce_admins: boolean;
      required_pull_request_reviews: { require_code_owner_reviews: boolean };
    };
    expect(protection.required_status_checks).toEqual({
      strict: true,
      contexts: ['evaluate', 'evaluate-fork', 'plan', 'test'],
    });
    expect(protection.required_pull_request_reviews.require_code_owner_reviews).toBe(true);
    expect(protection.enforce_admins).toBe(true);
    const owners = gh.readFile('acme', 'config', 'main', '.github/CODEOWNERS') ?? '';
    expect(owners.startsWith('/docs/ @acme/writers\n')).toBe(true);
    for (const path of POLICY_PATHS) expect(owners).toContain(`${path} @acme/platform`);
    expect(first.text).toContain('.github/CODEOWNERS updated');

    // A second run changes the owners in place and leaves everything else as it was.
    const second = await setup('--repo', 'acme/config', '--owner', '@acme/gatekeepers');
    expect(second.code, second.text).toBe(0);
    const again = gh.readFile('acme', 'config', 'main', '.github/CODEOWNERS') ?? '';
    expect(again).not.toContain('@acme/platform');
    expect(again.match(/switchyard: policy files/g)).toHaveLength(1);
    const third = await setup('--repo', 'acme/config', '--owner', '@acme/gatekeepers');
    expect(third.text).toContain('.github/CODEOWNERS unchanged');
  });

  it('refuses without owners or a token, and explains an API refusal', async () => {
    const noOwner = await setup('--repo', 'acme/config');
    expect(noOwner.code).toBe(2);
    expect(noOwner.text).toContain('--owner');
    const lines: string[] = [];
    const io: CommandIo = {
      cwd: root,
      env: { GITHUB_API_URL: gh.url },
      stdout: (t) => lines.push(t),
      stderr: (t) => lines.push(t),
    };
    expect(await main(['github', 'setup', '--repo', 'acme/config', '--owner', '@a/b'], io)).toBe(1);
    expect(lines.join('\n')).toContain('E_GITHUB_TOKEN');
    const missing = await setup('--repo', 'acme/nope', '--owner', '@a/b');
    expect(missing.code).toBe(1);
    expect(missing.text).toContain('E_SETUP_API 404');
  });

  it('codeownersWithPolicy appends to a file without a trailing newline and replaces only its block', () => {
    const once = codeownersWithPolicy('* @acme/all', ['@x/y']);
    expect(once.startsWith('* @acme/all\n\n# >>> switchyard')).toBe(true);
    expect(codeownersWithPolicy(`${once}/tail @z\n`, ['@x/y'])).toBe(`${once}/tail @z\n`);
  });
});
