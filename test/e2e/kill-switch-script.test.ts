import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTemplateRepo, type TemplateRepo } from './template-repo.ts';

const run = promisify(execFile);

/**
 * scripts/kill-switch.sh as kill-switch.yml runs it: push to `origin` main, including the case where
 * main moved between checkout and push (another merge landed): the kill is rebased, re-validated and
 * pushed, and nothing of the other change is lost.
 */
describe('scripts/kill-switch.sh pushing to origin', () => {
  let repo: TemplateRepo;
  let origin: string;
  let other: string;
  beforeEach(async () => {
    repo = await makeTemplateRepo();
    const base = await mkdtemp(join(tmpdir(), 'switchyard-origin-'));
    origin = join(base, 'origin.git');
    other = join(base, 'other');
    await run('git', ['init', '-q', '--bare', '-b', 'main', origin]);
    await repo.git('remote', 'add', 'origin', origin);
    await repo.git('push', '-q', 'origin', 'main');
    await run('git', ['clone', '-q', origin, other], { env: repo.env });
  });
  afterEach(async () => {
    await repo.cleanup();
    await rm(join(origin, '..'), { recursive: true, force: true });
  });

  const originLog = async (): Promise<string[]> =>
    (await run('git', ['log', '--format=%s', 'main'], { cwd: origin })).stdout.trim().split('\n');

  it('commits killed: true and pushes it to main, with the token in env-config only and its base64 masked', async () => {
    const token = 'ghs_KillSwitchToken0123456789';
    const b64 = Buffer.from(`x-access-token:${token}`).toString('base64');
    const seen = join(origin, '..', 'seen');
    // Runs inside `git push`: records that process's argv and the header git received through its environment.
    await writeFile(
      join(repo.dir, '.git', 'hooks', 'pre-push'),
      `#!/bin/sh\ntr '\\0' ' ' < /proc/$PPID/cmdline > "${seen}.argv"\nprintf '%s' "$GIT_CONFIG_VALUE_0" > "${seen}.env"\n`,
      { mode: 0o755 },
    );
    const result = await repo.sh('scripts/kill-switch.sh new-onboarding-tips "wrong plan shown"', {
      SWITCHYARD_NO_PUSH: '0',
      GITHUB_TOKEN: token,
      GITHUB_ACTIONS: 'true',
      ACTOR: 'octocat',
    });
    expect(result.stderr).not.toContain('error');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`::add-mask::${b64}\n`);
    const argv = await readFile(`${seen}.argv`, 'utf8');
    expect(argv).toContain('push origin HEAD:main');
    expect(argv).not.toContain(b64);
    expect(await readFile(`${seen}.env`, 'utf8')).toBe(`AUTHORIZATION: basic ${b64}`);
    expect((await originLog())[0]).toBe('kill: new-onboarding-tips');
    const body = (await run('git', ['log', '-1', '--format=%b', 'main'], { cwd: origin })).stdout;
    expect(body).toContain('wrong plan shown');
    expect(body).toContain('Requested by octocat via the kill switch.');
  });

  it('rebases onto a main that moved meanwhile, re-validates, and pushes both changes', async () => {
    // Someone else's merge lands on main after our checkout.
    const tips = join(other, 'rollouts', 'new-onboarding-tips.yaml');
    await writeFile(tips, (await readFile(tips, 'utf8')).replace('percent: 25', 'percent: 5'));
    await run('git', ['commit', '-qam', 'onboarding tips back to 5%'], { cwd: other, env: repo.env });
    await run('git', ['push', '-q', 'origin', 'main'], { cwd: other, env: repo.env });

    const result = await repo.sh('scripts/kill-switch.sh chat-gpt-4o-2024-08-06 "bad answers"', {
      SWITCHYARD_NO_PUSH: '0',
      GITHUB_TOKEN: 'x',
    });
    expect(result.code).toBe(0);
    expect((await originLog()).slice(0, 2)).toEqual(['kill: chat-gpt-4o-2024-08-06', 'onboarding tips back to 5%']);
    const show = async (path: string): Promise<string> =>
      (await run('git', ['show', `main:${path}`], { cwd: origin })).stdout;
    expect(await show('rollouts/chat-gpt-4o-2024-08-06.yaml')).toContain('killed: true');
    expect(await show('rollouts/new-onboarding-tips.yaml')).toContain('percent: 5');
  });

  it('an already-killed flag: no empty commit, exit 0, and the sha for the publish jobs is still written', async () => {
    const output = join(origin, '..', 'github-output');
    const first = await repo.sh('scripts/kill-switch.sh new-onboarding-tips "first"', {
      SWITCHYARD_NO_PUSH: '0',
      GITHUB_TOKEN: 'x',
    });
    expect(first.code).toBe(0);
    const killedAt = await repo.git('rev-parse', 'HEAD');
    const again = await repo.sh('scripts/kill-switch.sh new-onboarding-tips "again"', {
      SWITCHYARD_NO_PUSH: '0',
      GITHUB_TOKEN: 'x',
      GITHUB_OUTPUT: output,
    });
    expect(again.stderr).not.toContain('error');
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('already killed on main');
    expect(await repo.git('rev-parse', 'HEAD')).toBe(killedAt);
    expect((await originLog()).filter((s) => s.startsWith('kill:'))).toEqual(['kill: new-onboarding-tips']);
    expect(await readFile(output, 'utf8')).toBe(`sha=${killedAt}\n`);
  });

  it('refuses an unknown flag without committing anything', async () => {
    const before = await repo.git('rev-parse', 'HEAD');
    const result = await repo.sh('scripts/kill-switch.sh no-such-flag "x"', {
      SWITCHYARD_NO_PUSH: '0',
      GITHUB_TOKEN: 'x',
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('E_KILL_UNKNOWN_FLAG');
    expect(await repo.git('rev-parse', 'HEAD')).toBe(before);
    expect(await originLog()).toHaveLength(1);
  });
});
