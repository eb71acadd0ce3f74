import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync, lstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPORT_MARKER } from '../../src/github/comment-body.ts';
import { ACTIONS_BOT_LOGIN } from '../../src/github/sticky-comment.ts';
import { startGitHubApiServer, type GitHubApiServer } from '../helpers/github-api-server.ts';
import { workflowRunEvent } from './workflow-run-event.ts';

/**
 * The comment job as comment.yml runs it: a fresh checkout (the repository's tracked files, no
 * node_modules), `scripts/install-comment-deps.sh` — with `npm` replaced by an offline stand-in that
 * links, from this repository's node_modules, exactly the packages the script asks for (at the
 * versions it pins) — then `node bin/switchyard.mjs github comment` against the local GitHub API.
 * Only what the script installs is resolvable from the checkout, so an import the script does not
 * provide (a new dependency, a workspace package) fails here with ERR_MODULE_NOT_FOUND, as on CI.
 */
const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');
const HEAD = '5'.repeat(40);

// `npm install --prefix <dir> … name@version…`, offline: each spec must be installed in the
// repository at that exact version; it is symlinked (its own dependencies resolve from its real path).
const FAKE_NPM = `#!/usr/bin/env node
const { existsSync, mkdirSync, readFileSync, symlinkSync } = require('node:fs');
const { dirname, join } = require('node:path');
const args = process.argv.slice(2);
if (args[0] !== 'install') { console.error('fake npm: only install'); process.exit(1); }
const prefix = args[args.indexOf('--prefix') + 1];
const from = process.env.FAKE_NPM_FROM;
const installed = [];
for (const spec of args.slice(1).filter((a, i, all) => !a.startsWith('--') && all[i - 1] !== '--prefix')) {
  const at = spec.lastIndexOf('@');
  const name = spec.slice(0, at), version = spec.slice(at + 1);
  const source = join(from, name);
  const actual = existsSync(join(source, 'package.json')) && JSON.parse(readFileSync(join(source, 'package.json'), 'utf8')).version;
  if (actual !== version) { console.error('fake npm: ' + spec + ' not available offline (have ' + actual + ')'); process.exit(1); }
  const target = join(prefix, 'node_modules', name);
  mkdirSync(dirname(target), { recursive: true });
  symlinkSync(source, target, 'dir');
  installed.push(name);
}
require('node:fs').writeFileSync(join(prefix, 'installed.json'), JSON.stringify(installed));
`;

describe('the comment job from a fresh checkout with only the comment dependencies', () => {
  let gh: GitHubApiServer;
  let work: string;
  let checkout: string;
  let deps: string;

  beforeAll(async () => {
    gh = await startGitHubApiServer();
    gh.createRepo('acme', 'config');
    gh.addToken('ghs_actions', { login: ACTIONS_BOT_LOGIN, id: 41898282, type: 'Bot', installation: true });
    gh.seedPull('acme', 'config', { number: 6, headLabel: 'acme:b', headSha: HEAD });
    work = await mkdtemp(join(tmpdir(), 'switchyard-comment-install-'));
    checkout = join(work, 'checkout');
    deps = join(work, 'runner-temp', 'comment-deps');
    // The checkout: the tracked files as they are in the working tree (actions/checkout has no node_modules).
    const { stdout } = await run('git', ['ls-files', '-z'], { cwd: root, maxBuffer: 16 * 1024 * 1024 });
    for (const file of stdout.split('\0').filter(Boolean)) {
      const source = join(root, file);
      if (!existsSync(source) || lstatSync(source).isSymbolicLink()) continue;
      await mkdir(dirname(join(checkout, file)), { recursive: true });
      await copyFile(source, join(checkout, file));
      await chmod(join(checkout, file), lstatSync(source).mode & 0o777);
    }
    const bin = join(work, 'bin');
    await mkdir(bin);
    await writeFile(join(bin, 'npm'), FAKE_NPM, { mode: 0o755 });
    await run('bash', [join(checkout, 'scripts', 'install-comment-deps.sh'), deps], {
      cwd: checkout,
      env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}`, FAKE_NPM_FROM: join(root, 'node_modules') },
    });
  }, 120_000);
  afterAll(async () => {
    await gh?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('installs only the declared packages (plus the workspace links) and links ./node_modules there', async () => {
    const installed = JSON.parse(await readFile(join(deps, 'installed.json'), 'utf8')) as string[];
    expect(installed).toContain('tsx');
    expect(installed).not.toContain('promptfoo');
    expect(lstatSync(join(checkout, 'node_modules')).isSymbolicLink()).toBe(true);
    expect(existsSync(join(checkout, 'node_modules', '@switchyard', 'runtime', 'package.json'))).toBe(true);
    expect(existsSync(join(checkout, 'node_modules', 'promptfoo'))).toBe(false);
  });

  it('node bin/switchyard.mjs github comment posts the report with nothing else resolvable', async () => {
    const report = join(work, 'untrusted-report');
    await mkdir(report);
    const golden = join(root, 'test', 'fixtures', 'golden-report');
    await copyFile(join(golden, 'report.json'), join(report, 'report.json'));
    await copyFile(join(golden, 'report.md'), join(report, 'report.md'));
    await writeFile(join(report, 'switchyard-pr.json'), JSON.stringify({ pr: 6, headSha: HEAD }));
    const event = join(work, 'event.json');
    await writeFile(event, JSON.stringify(workflowRunEvent({ pr: 6, headSha: HEAD })));
    const result = await run(
      process.execPath,
      [join('bin', 'switchyard.mjs'), 'github', 'comment', '--report', report, '--event', event],
      {
        cwd: checkout,
        env: { PATH: process.env.PATH ?? '', HOME: work, GITHUB_TOKEN: 'ghs_actions', GITHUB_API_URL: gh.url },
      },
    ).catch((error: { code: number; stdout: string; stderr: string }) => error);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('PR #6: report comment created');
    const body = gh.state.repos.get('acme/config')?.comments.get(6)?.[0]?.body ?? '';
    expect(body.startsWith(`${REPORT_MARKER}\n`)).toBe(true);
  });
});
