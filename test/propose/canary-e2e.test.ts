import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine, buildTable } from '@switchyard/runtime/bundle';
import { compileBundle } from '../../src/bundle/compile.ts';
import { main } from '../../src/cli/main.ts';
import { loadProject } from '../../src/config/index.ts';
import { createRng } from '../../src/stats/index.ts';
import { defaultStoreDir, openStore } from '@switchyard/data';
import { startGitHubApiServer, type GitHubApiServer } from '../helpers/github-api-server.ts';
import { copyDemoProject, projectFiles } from './project-fixture.ts';

const CANARY = 'rag-hybrid-large';

/**
 * Simulated production: users resolve the canary through the real runtime engine (compiled from
 * the project's YAML), the app records a relevance score per answer with `recordMetric`, and the
 * events flow through the batched sink into the project's embedded PGlite store.
 */
async function simulateTraffic(root: string, candidateRelevance: number, users = 8000): Promise<void> {
  const loaded = await loadProject(root);
  expect(loaded.errors).toEqual([]);
  const compiled = compileBundle(loaded.value!, { env: 'production', commit: 'a'.repeat(40) });
  expect(compiled.errors).toEqual([]);
  const store = await openStore({ backend: 'pglite', dataDir: defaultStoreDir(root) });
  const sink = store.createSink();
  const engine = new Engine({ sink });
  const built = buildTable(compiled.value!.payload, {
    serial: 42,
    env: 'production',
    commit: 'a'.repeat(40),
    createdAt: Date.now(),
    expiresAt: Date.now() + 86_400_000,
    payloadSha256: compiled.value!.sha256,
  });
  if (!built.ok) throw new Error(built.message);
  engine.swap(built.table);
  const rng = createRng(candidateRelevance * 1000);
  for (let u = 0; u < users; u++) {
    const unitKey = `user-${u}`;
    const decision = engine.canary(CANARY, { unitKey });
    const variant = decision.value!.variant;
    for (let q = 0; q < 3; q++) {
      const mean = variant === 'candidate' ? candidateRelevance : 0.75;
      const value = Math.min(1, Math.max(0, rng.normal(mean, 0.12)));
      engine.recordMetric({ subject: 'canary', key: CANARY, variant, unitKey, metric: 'relevance', value });
    }
  }
  await sink.close();
  expect(sink.stats().dropped).toBe(0);
  expect(sink.stats().written).toBeGreaterThan(users * 3);
  await store.close();
}

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: (cwd: string, env: NodeJS.ProcessEnv) => ({
      stdout: (t: string) => out.push(t),
      stderr: (t: string) => err.push(t),
      cwd,
      env,
    }),
  };
}

// PGlite cold starts (several per test) dominate; generous timeouts keep a loaded CI machine green.
describe('propose end to end: runtime traffic → store → analysis → pull request', { timeout: 240_000 }, () => {
  let root: string | undefined;
  let gh: GitHubApiServer | undefined;
  afterEach(async () => {
    await gh?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  async function setUp(candidateRelevance: number) {
    root = copyDemoProject();
    await simulateTraffic(root, candidateRelevance);
    gh = await startGitHubApiServer();
    gh.addToken('ghs_propose', { login: 'github-actions[bot]', id: 41898282, type: 'Bot', installation: true });
    gh.createRepo('acme', 'config', projectFiles(root));
    const env = { GITHUB_TOKEN: 'ghs_propose', GITHUB_API_URL: gh.url, GITHUB_REPOSITORY: 'acme/config' };
    return { root, gh, env };
  }

  it('a worse candidate → a PR reverting the canary to 0%, with the evidence, merged when reverts auto-merge', async () => {
    const { root, gh, env } = await setUp(0.6);
    const analysis = capture();
    expect(await main(['analyze', 'canary', CANARY, '--format', 'json'], analysis.io(root, {}))).toBe(0);
    const result = JSON.parse(analysis.out.join(''));
    expect(result.decision).toBe('revert');
    expect(result.ratio.ratio).toBeLessThan(0.95);

    const run = capture();
    expect(await main(['propose', '--auto-merge', 'revert,kill'], run.io(root, env)), run.err.join('\n')).toBe(0);
    const repo = gh.state.repos.get('acme/config')!;
    const pulls = [...repo.pulls.values()];
    expect(pulls).toHaveLength(1);
    const pr = pulls[0]!;
    expect(pr.title).toMatch(/^Revert rag-hybrid-large: 10% → 0%/);
    expect(pr.head.ref).toBe('switchyard/revert/rag-hybrid-large-0');
    expect(pr.body).toContain('```mermaid');
    expect(pr.body).toContain('xychart-beta');
    expect(pr.body).toMatch(/candidate vs control relevance \(higher is better\) = 0\.\d+, always-valid CI \[/);
    expect(pr.labels.map((l) => l.name)).toEqual(['switchyard', 'switchyard:revert']);
    expect(pr.merged).toBe(true);
    // The edit on main: one value changed, every comment kept.
    const before = projectFiles(root)[`rollouts/${CANARY}.yaml`]!;
    const after = gh.readFile('acme', 'config', 'main', `rollouts/${CANARY}.yaml`)!;
    expect(after).toBe(before.replace('percent: 10\n', 'percent: 0\n'));
    expect(after).toContain('# Reverted below 95% of control relevance');
  });

  it('a better candidate → a PR advancing the canary to the next stage only, opened once however often propose runs', async () => {
    const { root, gh, env } = await setUp(0.86);
    const first = capture();
    const code = await main(['propose', '--auto-merge', 'revert'], first.io(root, env));
    expect(code, first.err.join('\n')).toBe(0);
    const second = capture();
    expect(await main(['propose', '--auto-merge', 'revert'], second.io(root, env))).toBe(0);
    expect(second.out.join('\n')).toContain('already open');

    const pulls = [...gh.state.repos.get('acme/config')!.pulls.values()];
    expect(pulls).toHaveLength(1);
    const pr = pulls[0]!;
    expect(pr.title).toBe('Advance rag-hybrid-large: 10% → 25%');
    expect(pr.merged).toBe(false); // advancing always waits for a review
    expect(pr.body).toContain('advance to 25%');
    const onBranch = gh.readFile('acme', 'config', pr.head.ref, `rollouts/${CANARY}.yaml`)!;
    expect(onBranch).toContain('percent: 25\n');
    expect(onBranch).toContain('stages: [10, 25, 50, 100]');
    expect(gh.readFile('acme', 'config', 'main', `rollouts/${CANARY}.yaml`)).toContain('percent: 10\n');
  });

  it('refuses to overwrite a base that moved since the analysis (E_PROPOSE_STALE), and refuses auto-merging advances', async () => {
    const { root, gh, env } = await setUp(0.6);
    const repo = gh.state.repos.get('acme/config')!;
    // Someone edits the canary on main after the checkout the analysis ran on.
    const files = projectFiles(root);
    files[`rollouts/${CANARY}.yaml`] = files[`rollouts/${CANARY}.yaml`]!.replace('topK: 10', 'topK: 8');
    gh.createRepo('acme', 'moved', files);
    const run = capture();
    expect(await main(['propose', '--repo', 'acme/moved'], run.io(root, env))).toBe(1);
    expect(run.err.join('\n')).toContain('E_PROPOSE_STALE');
    expect(gh.state.repos.get('acme/moved')!.pulls.size).toBe(0);
    expect(repo.pulls.size).toBe(0);

    const usage = capture();
    expect(await main(['propose', '--auto-merge', 'advance'], usage.io(root, env))).toBe(2);
    expect(usage.err.join('\n')).toContain('advancing always needs a review');
  });
});
