/**
 * The end-to-end GitOps loop in a temporary git repository made from this template, driven through
 * the same scripts the workflows run (scripts/pr-evaluate.sh, scripts/publish.sh, scripts/kill-switch.sh),
 * the comment job against the local GitHub API server, `switchyard serve` as a real HTTP server, and a
 * real `@switchyard/runtime` client polling it.
 *
 * Scenario 1: PR raises the chat model rollout 5 → 25 and activates summarization v2 → report says
 * "safe to merge" → merge → publish → runtime switches serial and decisions → `git revert` → publish →
 * runtime serves the old decisions under a higher serial.
 * Scenario 2: kill switch → publish → runtime serves `killed` → revert of the kill → publish → back.
 *
 * Prints the time from publish to the runtime switching.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type SwitchyardClient } from '@switchyard/runtime';
import { REPORT_MARKER } from '../../src/github/comment-body.ts';
import { ACTIONS_BOT_LOGIN } from '../../src/github/sticky-comment.ts';
import { startGitHubApiServer, type GitHubApiServer } from '../helpers/github-api-server.ts';
import { SOURCE_ROOT, makeTemplateRepo, type TemplateRepo } from './template-repo.ts';
import { workflowRunEvent } from '../github/workflow-run-event.ts';

const ROLLOUT = 'chat-gpt-4o-2024-08-06';
const OLD = 'gpt-4o-2024-05-13';
const NEW = 'gpt-4o-2024-08-06';
const USERS = Array.from({ length: 4000 }, (_, i) => `user-${i}`);

interface Decisions {
  serial: number;
  /** unit → model snapshot for a new chat conversation. */
  model: Map<string, string | null>;
  modelReasons: Set<string>;
  /** unit → summarization prompt version. */
  prompt: Map<string, number | null>;
}

function decisions(client: SwitchyardClient): Decisions {
  const model = new Map<string, string | null>();
  const prompt = new Map<string, number | null>();
  const modelReasons = new Set<string>();
  for (const unitKey of USERS) {
    const m = client.resolveModel('chat', { unitKey });
    model.set(unitKey, m.value);
    modelReasons.add(m.reason);
    prompt.set(unitKey, client.getPrompt('summarization', { unitKey, vars: { ticket: 'x' } }).value?.version ?? null);
  }
  return { serial: client.status().serial, model, prompt, modelReasons };
}

const share = (d: Decisions, snapshot: string): number =>
  [...d.model.values()].filter((s) => s === snapshot).length / USERS.length;
const versions = (d: Decisions): number[] => [...new Set(d.prompt.values())].map(Number).sort();

describe('GitOps end to end (temporary repository, real git, real HTTP, real runtime client)', () => {
  let repo: TemplateRepo;
  let outside: string;
  let published: string;
  let publishEnv: NodeJS.ProcessEnv;
  let server: ChildProcess;
  let client: SwitchyardClient;
  let gh: GitHubApiServer;
  const timings: string[] = [];

  /** Runs a script in the repo; fails the test with its output when it exits non-zero. */
  async function sh(script: string, env: NodeJS.ProcessEnv = {}, expectCode = 0): Promise<string> {
    const result = await repo.sh(script, env);
    if (result.code !== expectCode)
      throw new Error(`\`${script}\` exited ${result.code}\n${result.stdout}\n${result.stderr}`);
    return result.stdout;
  }

  /** Publishes staging then production (as publish.yml does) and waits for the runtime to switch. */
  async function publishAndWatch(label: string): Promise<Decisions> {
    const before = client.status().serial;
    const switched = new Promise<number>((resolve) => {
      const off = client.onChange((change) => {
        if (change.serial > before) {
          off();
          resolve(Date.now());
        }
      });
    });
    const t0 = Date.now();
    await sh('scripts/publish.sh staging', publishEnv);
    await sh('scripts/publish.sh production', publishEnv);
    const published = Date.now();
    const manifestWritten = (await stat(join(publishDirectory(), 'production', 'manifest.json'))).mtimeMs;
    const switchedAt = await switched;
    timings.push(
      `${label}: publish.sh staging+production ${((published - t0) / 1000).toFixed(1)} s; ` +
        `production manifest written → runtime serving serial ${client.status().serial}: ${Math.max(0, Math.round(switchedAt - manifestWritten))} ms`,
    );
    return decisions(client);
  }

  const publishDirectory = (): string => published;

  beforeAll(async () => {
    repo = await makeTemplateRepo();
    outside = await mkdtemp(join(tmpdir(), 'switchyard-e2e-'));
    published = join(outside, 'published');
    // The signing key lives outside the repository, as in a protected environment's secret.
    await sh(
      `switchyard keygen --out ${JSON.stringify(join(outside, 'signing.pem'))} --trusted-keys ${JSON.stringify(join(outside, 'trusted-keys.json'))}`,
    );
    publishEnv = {
      SWITCHYARD_SIGNING_KEY: await readFile(join(outside, 'signing.pem'), 'utf8'),
      SWITCHYARD_PUBLISH_TARGET: published,
      SWITCHYARD_TRUSTED_KEYS: join(outside, 'trusted-keys.json'),
    };
    await sh('scripts/publish.sh staging && scripts/publish.sh production', publishEnv);

    server = spawn(process.execPath, [join(SOURCE_ROOT, 'bin', 'switchyard.mjs'), 'serve', published, '--port', '0'], {
      env: repo.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      server.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const m = /(http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m) resolve(m[1] as string);
      });
      server.on('exit', (code) => reject(new Error(`switchyard serve exited ${code}: ${out}`)));
    });
    client = createClient({
      source: url,
      env: 'production',
      trustedKeys: await readFile(join(outside, 'trusted-keys.json'), 'utf8'),
      cacheDir: join(outside, 'runtime-cache'),
      pollIntervalMs: 100,
      jitter: 0,
    });
    await client.ready(10_000);

    gh = await startGitHubApiServer();
    gh.createRepo('acme', 'config');
    gh.addToken('ghs_actions', { login: ACTIONS_BOT_LOGIN, id: 41898282, type: 'Bot', installation: true });
  }, 240_000);

  afterAll(async () => {
    await client?.close();
    server?.kill('SIGTERM');
    await gh?.close();
    await repo?.cleanup();
    await rm(outside, { recursive: true, force: true });
    if (timings.length > 0) console.log(`\nGitOps timings (this machine):\n  ${timings.join('\n  ')}\n`);
  });

  it('PR → report → merge → publish → runtime switches → git revert → publish → old decisions, higher serial', async () => {
    const initial = decisions(client);
    expect(initial.serial).toBe(1);
    expect(share(initial, NEW)).toBeGreaterThan(0.03);
    expect(share(initial, NEW)).toBeLessThan(0.07);
    // The running A/B test serves v1 and v2 to its enrolled units; everyone else gets active v1.
    expect(versions(initial)).toEqual([1, 2]);

    // The pull request: 5% → 25%, summarization v2 active (v1 deprecated), the A/B test stopped.
    await repo.git('switch', '-q', '-c', 'raise-chat-rollout');
    await sh(
      `sed -i 's/^percent: 5$/percent: 25/' rollouts/${ROLLOUT}.yaml && ` +
        "sed -i 's/^status: draft$/status: active/' prompts/summarization/v2.yaml && " +
        "sed -i 's/^status: active$/status: deprecated/' prompts/summarization/v1.yaml && " +
        "sed -i 's/^status: running$/status: stopped/' experiments/summarization-v1-vs-v2.yaml && " +
        'git commit -qam "chat rollout 5% → 25%; summarization v2 active"',
    );
    const head = await repo.git('rev-parse', 'HEAD');

    // The pr workflow's job.
    const reportDir = join(outside, 'pr-report');
    const t0 = Date.now();
    await sh(`scripts/pr-evaluate.sh main ${JSON.stringify(reportDir)}`, { PR_NUMBER: '1', HEAD_SHA: head });
    timings.push(
      `pr-evaluate.sh (validate, eval, shadow, report; offline model): ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
    const report = JSON.parse(await readFile(join(reportDir, 'report.json'), 'utf8'));
    expect(report.verdict).toBe('pass');
    expect(report.offline).toBe(true);
    const changes = report.changes.map((c: { text: string }) => c.text);
    expect(changes).toContain('5% → 25% of new chat conversations get gpt-4o-2024-08-06');
    expect(changes).toContain('summarization v2 becomes active (was v1)');

    // The comment workflow's job, on the artifact, against the GitHub API stand-in.
    gh.seedPull('acme', 'config', { number: 1, headLabel: 'acme:raise-chat-rollout', headSha: head });
    const event = join(outside, 'workflow_run.json');
    await writeFile(
      event,
      JSON.stringify(workflowRunEvent({ pr: 1, headSha: head, id: 5, branch: 'raise-chat-rollout' })),
    );
    // comment.yml runs the default branch's code: run it from the repo's main checkout.
    await repo.git('switch', '-q', 'main');
    await sh(`switchyard github comment --report ${JSON.stringify(reportDir)} --event ${JSON.stringify(event)}`, {
      GITHUB_TOKEN: 'ghs_actions',
      GITHUB_API_URL: gh.url,
    });
    const comment = gh.state.repos.get('acme/config')?.comments.get(1)?.[0]?.body ?? '';
    expect(comment.startsWith(`${REPORT_MARKER}\n## ✅ Switchyard: safe to merge`)).toBe(true);
    expect(comment).toContain('5% → 25% of new chat conversations get gpt-4o-2024-08-06');

    // Merge → publish.yml.
    await repo.git(
      'merge',
      '-q',
      '--no-ff',
      'raise-chat-rollout',
      '-m',
      'Merge pull request #1 from acme/raise-chat-rollout',
    );
    const merged = await publishAndWatch('merge');
    expect(merged.serial).toBe(2);
    expect(share(merged, NEW)).toBeGreaterThan(0.22);
    expect(share(merged, NEW)).toBeLessThan(0.28);
    // Raising the percentage only adds units: everyone who had the new snapshot keeps it.
    for (const [unit, snapshot] of initial.model) if (snapshot === NEW) expect(merged.model.get(unit)).toBe(NEW);
    expect(versions(merged)).toEqual([2]);

    // Rollback = git revert of the merge → the same publish path → a higher serial with the old config.
    await repo.git('revert', '--no-edit', '-m', '1', 'HEAD');
    const reverted = await publishAndWatch('git revert');
    expect(reverted.serial).toBe(3);
    expect(reverted.model).toEqual(initial.model);
    expect(reverted.prompt).toEqual(initial.prompt);
  }, 300_000);

  it('kill switch → publish → everyone on the default snapshot (reason killed) → revert refused → revive at the first stage', async () => {
    const before = decisions(client);
    expect(share(before, NEW)).toBeGreaterThan(0);

    const t0 = Date.now();
    const out = await sh(`scripts/kill-switch.sh ${ROLLOUT} "shadow similarity dropped in production"`);
    timings.push(`kill-switch.sh (edit, validate, commit): ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    expect(out).toContain(`killed ${ROLLOUT} in`);
    expect(await repo.git('log', '-1', '--format=%s')).toBe(`kill: ${ROLLOUT}`);
    expect(await repo.git('show', '--format=', '--unified=0', 'HEAD')).toMatch(/^-killed: false\n\+killed: true$/m);
    // Only the one line changed: comments and formatting are intact.
    expect(await repo.git('diff', '--numstat', 'HEAD~1', 'HEAD')).toBe(`1\t1\trollouts/${ROLLOUT}.yaml`);

    const killed = await publishAndWatch('kill switch');
    expect(killed.serial).toBe(before.serial + 1);
    expect(share(killed, NEW)).toBe(0);
    expect(share(killed, OLD)).toBe(1);
    // A killed rollout stays attached to its model: every new conversation gets the pin, and says why.
    expect(killed.modelReasons).toEqual(new Set(['killed']));
    expect(new Set(USERS.map((unitKey) => client.isEnabled(ROLLOUT, { unitKey }).reason))).toEqual(new Set(['killed']));

    // Reverting the kill would hand everyone back their share at once (0 → 5%, 25% in staging): the
    // publish gate refuses to sign it; a revival starts again at the first stage.
    await repo.git('revert', '--no-edit', 'HEAD');
    const refused = await sh('scripts/publish.sh staging 2>&1', publishEnv, 1);
    expect(refused).toContain('E_GATE_EXPOSURE_STEP');
    expect(refused).toMatch(/E_PUBLISH_GATE refusing to sign [0-9a-f]{40}/);
    expect(client.status().serial).toBe(killed.serial);
    await repo.git('reset', '-q', '--hard', 'HEAD~1');
    await sh(
      `sed -i -e 's/^killed: true$/killed: false/' -e 's/^percent: 5$/percent: 1/' -e 's/^    percent: 25$/    percent: 1/' rollouts/${ROLLOUT}.yaml && git commit -qam 'revive ${ROLLOUT} at the first stage'`,
    );
    const revived = await publishAndWatch('revival at the first stage');
    expect(revived.serial).toBe(before.serial + 2);
    expect(share(revived, NEW)).toBeLessThan(share(before, NEW));
    // Same seed, lower threshold: everyone on the new snapshot now had it before the kill.
    for (const [unit, snapshot] of revived.model) if (snapshot === NEW) expect(before.model.get(unit)).toBe(NEW);
  }, 300_000);
});
