/**
 * "Finish the rollout" end to end over HTTP: a model rollout at 100% whose production shadow
 * evidence meets its gate → `planProposals` (pin moved to the rollout's target, rollout file
 * removed) → `publishProposal` through Octokit against the local GitHub API server → the branch
 * holds exactly those two changes, still loads as a valid project, and one PR carries the evidence.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { analyzeShadow } from '../../src/analysis/index.ts';
import { loadProject } from '../../src/config/index.ts';
import type { ModelRolloutResource } from '../../src/config/types.ts';
import { createGitHubClient } from '../../src/github/client.ts';
import { planProposals, publishProposal } from '../../src/propose/index.ts';
import { startGitHubApiServer } from '../helpers/github-api-server.ts';
import { copyDemoProject, projectFiles } from './project-fixture.ts';

const ROLLOUT = 'chat-gpt-4o-2024-08-06';
const ROLLOUT_FILE = `rollouts/${ROLLOUT}.yaml`;
const PIN_FILE = 'models/chat.yaml';
const TOKEN = 'ghs_finish';

describe('propose: finish a model rollout as a pull request', () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function setUp() {
    const root = copyDemoProject();
    cleanups.push(() => rmSync(root, { recursive: true, force: true }));
    // The rollout has reached its last stage in every environment (staging overrides the percent);
    // everything else is the demo organisation as is.
    const rolloutText = readFileSync(join(root, ROLLOUT_FILE), 'utf8');
    expect(rolloutText).toMatch(/^percent: 5$/m);
    expect(rolloutText).toMatch(/^ {2}staging:\n {4}percent: 25$/m);
    writeFileSync(
      join(root, ROLLOUT_FILE),
      rolloutText.replace(/^percent: 5$/m, 'percent: 100').replace(/^( {2}staging:\n {4}percent:) 25$/m, '$1 100'),
    );
    const gh = await startGitHubApiServer();
    cleanups.push(() => gh.close());
    gh.addToken(TOKEN, { login: 'github-actions[bot]', id: 41898282, type: 'Bot', installation: true });
    gh.createRepo('acme', 'config', projectFiles(root));
    return { root, gh };
  }

  async function finishProposal(root: string) {
    const loaded = await loadProject(root);
    expect(loaded.errors).toEqual([]);
    const project = loaded.value!;
    const rollout = project.rollouts.get(ROLLOUT) as ModelRolloutResource;
    expect(rollout.percent).toBe(100);
    const analysis = analyzeShadow(rollout, {
      summary: {
        pairs: 640,
        scored: 632,
        errors: 8,
        invalid: 0,
        atOrBelowMin: 0,
        avg: 0.947,
        min: 0.781,
        p10: 0.902,
        p50: 0.951,
      },
      histogram: [0, 0, 0, 0, 0, 0, 0, 3, 71, 558],
      worst: [
        {
          timeMs: Date.parse('2025-01-02T03:04:05Z'),
          unitKey: 'user-17',
          requestId: 'req-17',
          similarity: 0.781,
          primaryOutput: 'Your order ships Monday.',
          candidateOutput: 'It ships on Monday.',
        },
      ],
    });
    expect(analysis.readyToSwitch).toBe(true);
    const planned = planProposals(project, [analysis], { readFile: (p) => readFileSync(join(root, p), 'utf8') });
    expect(planned.errors).toEqual([]);
    expect(planned.value).toHaveLength(1);
    return planned.value![0]!;
  }

  it('opens one branch and one PR that move the pin and delete the rollout file, and nothing else', async () => {
    const { root, gh } = await setUp();
    const proposal = await finishProposal(root);
    expect(proposal).toMatchObject({
      action: 'finish',
      kind: 'ModelRollout',
      resource: ROLLOUT,
      from: 100,
      to: null,
      autoMerge: false,
    });
    expect(proposal.edits.map((e) => [e.path, e.action])).toEqual([
      [PIN_FILE, 'update'],
      [ROLLOUT_FILE, 'delete'],
    ]);

    const github = createGitHubClient({ token: TOKEN, apiUrl: gh.url });
    const repo = gh.state.repos.get('acme/config')!;
    const mainBefore = repo.branches.get('main')!;
    const outcome = await publishProposal(github, { owner: 'acme', repo: 'config', base: 'main' }, proposal);
    expect(outcome, JSON.stringify(outcome)).toMatchObject({
      status: 'opened',
      branch: proposal.branch,
      merged: false,
    });
    if (outcome.status !== 'opened') return;

    // main is untouched; the branch is main plus one commit per file.
    expect(repo.branches.get('main')).toBe(mainBefore);
    const head = repo.branches.get(proposal.branch)!;
    const second = repo.commits.get(head)!;
    const first = repo.commits.get(second.parent!)!;
    expect(first.parent).toBe(mainBefore);
    expect(second.message).toBe(proposal.commitMessage);

    // The pin: only the snapshot line changed (comments and layout kept).
    const pinBefore = gh.readFile('acme', 'config', 'main', PIN_FILE)!;
    const pinAfter = gh.readFile('acme', 'config', proposal.branch, PIN_FILE)!;
    expect(pinBefore).toMatch(/^snapshot: gpt-4o-2024-05-13$/m);
    expect(pinAfter).toBe(pinBefore.replace(/^snapshot: gpt-4o-2024-05-13$/m, 'snapshot: gpt-4o-2024-08-06'));
    // The rollout file is gone from the branch, still on main.
    expect(gh.readFile('acme', 'config', proposal.branch, ROLLOUT_FILE)).toBeUndefined();
    expect(gh.readFile('acme', 'config', 'main', ROLLOUT_FILE)).toBeDefined();
    // Every other file is byte-for-byte what main has.
    const mainTree = repo.commits.get(mainBefore)!.tree;
    const branchTree = second.tree;
    expect([...branchTree.keys()].sort()).toEqual([...mainTree.keys()].filter((p) => p !== ROLLOUT_FILE).sort());
    for (const [path, content] of branchTree)
      if (path !== PIN_FILE) expect(content.equals(mainTree.get(path)!), path).toBe(true);
    // The delete went through the contents API with the blob sha, as GitHub requires.
    // (Octokit sends the path URL-encoded in one segment.)
    const deletes = gh.requests.filter((r) => r.method === 'DELETE');
    expect(deletes.map((r) => [decodeURIComponent(r.path), r.status])).toEqual([
      [`/repos/acme/config/contents/${ROLLOUT_FILE}`, 200],
    ]);

    // The branch as checked out is a valid project: chat now starts on the new snapshot, no rollout left.
    const checkout = mkdtempSync(join(tmpdir(), 'sy-finish-branch-'));
    cleanups.push(() => rmSync(checkout, { recursive: true, force: true }));
    for (const [path, content] of branchTree) {
      mkdirSync(dirname(join(checkout, path)), { recursive: true });
      writeFileSync(join(checkout, path), content);
    }
    const reloaded = await loadProject(checkout);
    expect(reloaded.errors).toEqual([]);
    expect(reloaded.value!.models.get('chat')?.snapshot).toBe('gpt-4o-2024-08-06');
    expect(reloaded.value!.rollouts.has(ROLLOUT)).toBe(false);

    // One PR from the branch, with the evidence and the file list in its body, labelled, not merged.
    const pull = repo.pulls.get(outcome.number)!;
    expect(pull).toMatchObject({
      state: 'open',
      merged: false,
      title: proposal.title,
      head: { ref: proposal.branch },
      base: { ref: 'main' },
    });
    expect(pull.title).toContain(`Finish ${ROLLOUT}`);
    expect(pull.body).toContain('gate met on 632 production pairs');
    expect(pull.body).toContain(`\`${PIN_FILE}\`: updated`);
    expect(pull.body).toContain(`\`${ROLLOUT_FILE}\`: removed`);
    expect(pull.labels.map((l) => l.name)).toEqual(['switchyard', 'switchyard:finish']);

    // A second run finds the open PR instead of opening another.
    const again = await publishProposal(github, { owner: 'acme', repo: 'config', base: 'main' }, proposal);
    expect(again).toMatchObject({ status: 'exists', number: outcome.number });
    expect(repo.pulls.size).toBe(1);
  });

  it('refuses (E_PROPOSE_STALE) when the rollout file on main no longer matches what was analysed', async () => {
    const { root, gh } = await setUp();
    const proposal = await finishProposal(root);
    const repo = gh.state.repos.get('acme/config')!;
    // Someone changed the rollout on main after the analysis ran (e.g. killed it).
    const github = createGitHubClient({ token: TOKEN, apiUrl: gh.url });
    const current = await github.rest.repos.getContent({
      owner: 'acme',
      repo: 'config',
      path: ROLLOUT_FILE,
      ref: 'main',
    });
    const text = gh.readFile('acme', 'config', 'main', ROLLOUT_FILE)!.replace(/^killed: false$/m, 'killed: true');
    await github.rest.repos.createOrUpdateFileContents({
      owner: 'acme',
      repo: 'config',
      path: ROLLOUT_FILE,
      branch: 'main',
      sha: (current.data as { sha: string }).sha,
      message: 'kill',
      content: Buffer.from(text).toString('base64'),
    });

    const outcome = await publishProposal(github, { owner: 'acme', repo: 'config', base: 'main' }, proposal);
    expect(outcome).toMatchObject({ status: 'failed', code: 'E_PROPOSE_STALE' });
    expect(repo.branches.has(proposal.branch)).toBe(false);
    expect(repo.pulls.size).toBe(0);
  });
});
