import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser';
import { parse } from 'yaml';
import { checkWorkflowPolicy } from '../../src/github/workflow-policy.ts';
import { WRITTEN_CACHE_PATHS } from '../../src/eval/cache.ts';

const root = join(import.meta.dirname, '..', '..');
const workflowDir = join(root, '.github', 'workflows');
const fixtureDir = join(import.meta.dirname, 'fixtures', 'workflows');
const ours = ['pr.yml', 'comment.yml', 'publish.yml', 'kill-switch.yml'];

/** Parses with GitHub's own workflow parser and returns its error messages (empty = valid). */
async function githubParserErrors(name: string, content: string): Promise<string[]> {
  const result = parseWorkflow({ name, content }, new NoOperationTraceWriter());
  const errors = result.context.errors.getErrors().map((e) => e.message);
  if (errors.length === 0 && result.value) {
    const template = await convertWorkflowTemplate(result.context, result.value);
    errors.push(...(template.errors ?? []).map((e) => e.Message));
  }
  return errors;
}

const read = (dir: string, name: string): string => readFileSync(join(dir, name), 'utf8');
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const load = (name: string): any => parse(read(workflowDir, name));

describe('the repository workflows', () => {
  it('are the four the architecture names (plus any others, which are checked too)', () => {
    const present = readdirSync(workflowDir);
    for (const name of ours) expect(present).toContain(name);
  });

  for (const name of readdirSync(workflowDir).filter((f) => /\.ya?ml$/.test(f))) {
    it(`${name} parses with @actions/workflow-parser and passes the policy`, async () => {
      const text = read(workflowDir, name);
      expect(await githubParserErrors(name, text)).toEqual([]);
      const checked = checkWorkflowPolicy(`.github/workflows/${name}`, text);
      expect(checked.errors).toEqual([]);
      expect(checked.warnings).toEqual([]);
    });
  }

  it('set up Node from .nvmrc with the npm cache, and never keep credentials', () => {
    for (const name of ours) {
      const wf = load(name);
      for (const job of Object.values(wf.jobs) as Array<{
        steps: Array<{ uses?: string; with?: Record<string, unknown> }>;
      }>) {
        for (const step of job.steps) {
          if (step.uses?.startsWith('actions/setup-node@')) {
            expect(step.with).toMatchObject({ 'node-version-file': '.nvmrc', cache: 'npm' });
          }
          if (step.uses?.startsWith('actions/checkout@')) expect(step.with?.['persist-credentials']).toBe(false);
        }
      }
    }
    expect(readFileSync(join(root, '.nvmrc'), 'utf8').trim()).toMatch(/^20\./);
  });

  it('cache only paths the evaluator writes, with content keys that cover switchyard.yaml', () => {
    const steps = readdirSync(workflowDir)
      .filter((f) => /\.ya?ml$/.test(f))
      .flatMap((name) =>
        Object.entries(
          load(name).jobs as Record<string, { steps: Array<{ uses?: string; with?: Record<string, string> }> }>,
        )
          .flatMap(([job, j]) => j.steps.map((step) => ({ where: `${name} ${job}`, step })))
          .filter(({ step }) => step.uses?.startsWith('actions/cache')),
      );
    expect(steps.length).toBeGreaterThan(0);
    for (const { where, step } of steps) {
      const paths = String(step.with?.path ?? '')
        .split('\n')
        .map((p) => p.trim())
        .filter(Boolean);
      expect(paths.length, where).toBeGreaterThan(0);
      for (const path of paths)
        expect(WRITTEN_CACHE_PATHS, `${where} caches ${path}, which nothing writes`).toContain(path);
      // A key hashed from the inputs must hash all of them, or a change to the rest restores a stale
      // entry under a key that then never saves the new results.
      const key = String(step.with?.key ?? '');
      if (key.includes('hashFiles(')) expect(key, where).toContain("'switchyard.yaml'");
    }
  });

  it('pr.yml: fork PRs run offline without secrets; same-repo PRs are guarded; the eval cache is kept', () => {
    const wf = load('pr.yml');
    expect(Object.keys(wf.on)).toEqual(['pull_request']);
    const text = read(workflowDir, 'pr.yml');
    const facts = checkWorkflowPolicy('pr.yml', text).value;
    const fork = facts?.jobs.find((j) => j.id === 'evaluate-fork');
    expect(fork?.runsPullRequestCode).toBe(true);
    expect(fork?.secrets).toEqual([]);
    expect(wf.jobs['evaluate-fork'].env.SWITCHYARD_OFFLINE).toBe('1');
    expect(wf.jobs.evaluate.if).toContain('head.repo.full_name == github.repository');
    expect(wf.jobs['evaluate-fork'].if).toContain('head.repo.full_name != github.repository');
    // The API key reaches only the step that calls the provider, never `npm ci`.
    expect(JSON.stringify(wf.jobs.evaluate.env ?? {})).not.toContain('secrets.');
    const withSecrets = wf.jobs.evaluate.steps.filter((s: unknown) => JSON.stringify(s).includes('secrets.'));
    expect(withSecrets.map((s: { name?: string }) => s.name)).toEqual(['Evaluate the pull request']);
    expect(withSecrets[0].env.OPENAI_API_KEY).toBe('${{ secrets.OPENAI_API_KEY }}');
    for (const job of ['evaluate', 'evaluate-fork']) {
      expect(wf.jobs[job].permissions).toEqual({ contents: 'read' });
      const cache = wf.jobs[job].steps.find((s: { uses?: string }) => s.uses?.startsWith('actions/cache@'));
      // Only the cache eval writes (promptfoo's own cache is off); main's warm entries are restored.
      expect(cache.with.path).toBe('.switchyard/eval-cache');
      expect(cache.with['restore-keys']).toContain('switchyard-eval-${{ runner.os }}-main-');
    }
  });

  it('pr.yml: the eval is sharded over a matrix whose size the change decides, and the report merges the shards', () => {
    const wf = load('pr.yml');
    expect(wf.jobs.plan.steps.at(-1).run).toBe('node bin/switchyard.mjs eval --base "origin/${BASE_REF}" --plan');
    expect(wf.jobs.plan.outputs).toEqual({
      shards: '${{ steps.plan.outputs.shards }}',
      matrix: '${{ steps.plan.outputs.matrix }}',
    });
    const shard = wf.jobs['eval-shard'];
    expect(shard.needs).toBe('plan');
    expect(shard.strategy.matrix.shard).toBe('${{ fromJSON(needs.plan.outputs.matrix) }}');
    expect(shard.steps.map((s: { run?: string }) => s.run).filter(Boolean)).toEqual([
      'npm ci --no-audit --no-fund',
      'node bin/switchyard.mjs eval --base "origin/${BASE_REF}" --shard "${SHARD}"',
    ]);
    // The key reaches the eval step only.
    expect(
      shard.steps.filter((s: unknown) => JSON.stringify(s).includes('secrets.')).map((s: { name?: string }) => s.name),
    ).toEqual(['Evaluate one shard']);
    expect(wf.jobs.evaluate.needs).toEqual(['plan', 'eval-shard']);
    expect(wf.jobs.evaluate.if).toContain('always()');
    const collect = wf.jobs.evaluate.steps.find((s: { uses?: string }) =>
      s.uses?.startsWith('actions/download-artifact@'),
    );
    expect(collect.with).toMatchObject({
      pattern: 'eval-shard-*',
      'merge-multiple': true,
      path: '.switchyard/results',
    });
    expect(readFileSync(join(root, 'scripts', 'pr-evaluate.sh'), 'utf8')).toContain(
      'if [ -z "${EVAL_SHARDED:-}" ]; then sy eval --base "$base"; fi',
    );
  });

  it('eval-cache.yml: main warms the eval cache PRs restore, live and offline', () => {
    const wf = load('eval-cache.yml');
    expect(wf.on.push.branches).toEqual(['main']);
    const steps = wf.jobs.warm.steps;
    const cache = steps.find((s: { uses?: string }) => s.uses?.startsWith('actions/cache@'));
    expect(cache.with).toMatchObject({
      path: '.switchyard/eval-cache',
      key: 'switchyard-eval-${{ runner.os }}-main-${{ github.sha }}',
    });
    expect(
      steps
        .filter((s: { run?: string }) => s.run?.startsWith('node bin/switchyard.mjs eval'))
        .map((s: { env?: Record<string, string> }) => s.env?.SWITCHYARD_OFFLINE ?? 'live'),
    ).toEqual(['live', '1']);
  });

  it('pr.yml: a test job runs npm ci + npm test for every PR (forks too) with no secrets and a read-only token', () => {
    const wf = load('pr.yml');
    const job = wf.jobs.test;
    expect(job.if).toBeUndefined();
    expect(job.permissions).toEqual({ contents: 'read' });
    expect(JSON.stringify(job)).not.toMatch(/secrets\.|github\.token/);
    expect(job.steps.map((s: { run?: string }) => s.run).filter(Boolean)).toEqual([
      'npm ci --no-audit --no-fund',
      'npm test',
    ]);
    expect(job.services.postgres.env).toMatchObject({ POSTGRES_HOST_AUTH_METHOD: 'trust', POSTGRES_DB: 'test' });
    expect(job.env.SWITCHYARD_TEST_DATABASE_URL).toBe('postgres://postgres@127.0.0.1:5432/test');
    const facts = checkWorkflowPolicy('pr.yml', read(workflowDir, 'pr.yml')).value;
    expect(facts?.jobs.find((j) => j.id === 'test')).toMatchObject({ runsPullRequestCode: true, secrets: [] });
    // npm test is what checks the conformance vectors on both sides of the contract.
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.test).toContain('vitest run');
    for (const f of ['test/bundle/bucketing-vectors.test.ts', 'packages/runtime/test/bucketing.test.ts']) {
      expect(readFileSync(join(root, f), 'utf8')).toContain('bucketing-vectors.json');
    }
  });

  it('comment.yml runs on workflow_run, never checks out PR code, and asks only for what it needs', () => {
    const wf = load('comment.yml');
    expect(wf.on.workflow_run.workflows).toEqual(['pr']);
    expect(wf.jobs.comment.permissions).toEqual({ actions: 'read', contents: 'read', 'pull-requests': 'write' });
    const checkout = wf.jobs.comment.steps.find((s: { uses?: string }) => s.uses?.startsWith('actions/checkout@'));
    expect(checkout.with.ref).toBeUndefined();
    const facts = checkWorkflowPolicy('comment.yml', read(workflowDir, 'comment.yml')).value;
    expect(facts?.jobs[0]?.runsPullRequestCode).toBe(false);
    // Posting needs a handful of packages, not the evaluator's full tree.
    const runs = wf.jobs.comment.steps.map((s: { run?: string }) => s.run).filter(Boolean);
    expect(runs).not.toContain('npm ci --no-audit --no-fund');
    expect(runs[0]).toBe('scripts/install-comment-deps.sh "${RUNNER_TEMP}/comment-deps"');
  });

  it('publish.yml: staging then production, each in a protected environment and a concurrency group, main only', () => {
    const wf = load('publish.yml');
    expect(wf.on.push.branches).toEqual(['main']);
    // workflow_dispatch can name any branch: only main's config is ever signed.
    expect(wf.jobs.staging.if).toBe("github.ref == 'refs/heads/main'");
    expect(wf.jobs.production.if).toBe("github.ref == 'refs/heads/main'");
    expect(wf.jobs.staging.environment).toBe('staging');
    expect(wf.jobs.production.environment).toBe('production');
    expect(wf.jobs.production.needs).toBe('staging');
    for (const env of ['staging', 'production']) {
      expect(wf.jobs[env].concurrency).toEqual({ group: `switchyard-publish-${env}`, 'cancel-in-progress': false });
      const run = wf.jobs[env].steps.at(-1);
      expect(run.env.SWITCHYARD_SIGNING_KEY).toBe('${{ secrets.SWITCHYARD_SIGNING_KEY }}');
      expect(run.run).toBe(`scripts/publish.sh ${env}`);
    }
  });

  it('kill-switch.yml: workflow_dispatch with a flag, validation-only fast path, its own concurrency groups (never cancelled by a publish)', () => {
    const wf = load('kill-switch.yml');
    expect(Object.keys(wf.on)).toEqual(['workflow_dispatch']);
    expect(wf.on.workflow_dispatch.inputs.flag).toMatchObject({ required: true, type: 'string' });
    expect(wf.jobs.commit.permissions).toEqual({ contents: 'write' });
    for (const job of ['commit', 'publish-staging', 'publish-production'])
      expect(wf.jobs[job].if).toBe("github.ref == 'refs/heads/main'");
    // Sequential: both environments may publish to one branch target, so they must not push at once.
    expect(wf.jobs['publish-staging'].needs).toBe('commit');
    expect(wf.jobs['publish-production'].needs).toEqual(['commit', 'publish-staging']);
    for (const env of ['staging', 'production']) {
      const job = wf.jobs[`publish-${env}`];
      expect(job.environment).toBe(env);
      // A pending job is cancelled by a newer pending job of the same group: never share publish.yml's.
      expect(job.concurrency).toEqual({ group: `switchyard-kill-switch-${env}`, 'cancel-in-progress': false });
      expect(job.concurrency.group).not.toBe(load('publish.yml').jobs[env].concurrency.group);
      expect(job.strategy).toBeUndefined();
      expect(job.steps.at(-1).run).toBe(`scripts/publish.sh ${env}`);
    }
    const text = read(workflowDir, 'kill-switch.yml');
    expect(text).not.toMatch(/switchyard (eval|shadow)|pr-evaluate/);
  });

  it('pin only SHAs that were verified for each action (one version per action across workflows)', () => {
    const pins = new Map<string, Set<string>>();
    for (const name of ours) {
      for (const m of read(workflowDir, name).matchAll(/uses:\s*([\w.-]+\/[\w.-]+)@([0-9a-f]{40})/g)) {
        const set = pins.get(m[1] as string) ?? new Set<string>();
        set.add(m[2] as string);
        pins.set(m[1] as string, set);
      }
    }
    expect(Object.fromEntries([...pins].map(([k, v]) => [k, [...v]]))).toEqual({
      'actions/checkout': ['11bd71901bbe5b1630ceea73d27597364c9af683'],
      'actions/setup-node': ['49933ea5288caeca8642d1e84afbd3f7d6820020'],
      'actions/cache': ['5a3ec84eff668545956fd18022155c47e93e2684'],
      'actions/upload-artifact': ['ea165f8d65b6e75b540449e92b4886f43607fa02'],
      'actions/download-artifact': ['d3f86a106a0bac45b974a628896c90dbdf5c8093'],
    });
  });

  it('call scripts that exist and are executable', () => {
    for (const name of ours) {
      for (const m of read(workflowDir, name).matchAll(/(scripts\/[\w.-]+)/g)) {
        const mode = statSync(join(root, m[1] as string)).mode;
        expect(mode & 0o111, m[1]).not.toBe(0);
      }
    }
  });
});

describe('the workflow policy catches each bad fixture (which GitHub itself would accept)', () => {
  const cases: Array<[string, string, number]> = [
    ['missing-permissions.yml', 'E_WF_PERMISSIONS_MISSING', 3],
    ['broad-permissions.yml', 'E_WF_PERMISSIONS_BROAD', 7],
    ['unpinned-action.yml', 'E_WF_UNPINNED_ACTION', 17],
    ['prt-checkout.yml', 'E_WF_PRT_CHECKOUT', 15],
    ['fork-secrets.yml', 'E_WF_FORK_SECRETS', 8],
    ['fork-secrets-workflow-run.yml', 'E_WF_FORK_SECRETS', 10],
    ['persist-credentials.yml', 'E_WF_PERSIST_CREDENTIALS', 14],
    ['script-injection.yml', 'E_WF_SCRIPT_INJECTION', 17],
    ['fork-secrets-or-true.yml', 'E_WF_FORK_SECRETS', 8],
    ['signing-unguarded.yml', 'E_WF_SIGNING_UNGUARDED', 10],
    ['secret-to-install.yml', 'E_WF_SECRET_TO_INSTALL', 19],
  ];
  for (const [file, code, line] of cases) {
    it(`${file} → ${code} at line ${line}`, async () => {
      const text = read(fixtureDir, file);
      expect(await githubParserErrors(file, text)).toEqual([]);
      const checked = checkWorkflowPolicy(file, text);
      expect(checked.errors.map((e) => `${e.code}@${e.line}`)).toContain(`${code}@${line}`);
    });
  }

  it('a same-repo guard makes secrets acceptable in a pull_request job', () => {
    const text = read(fixtureDir, 'fork-secrets.yml').replace(
      '    runs-on: ubuntu-latest\n',
      '    if: github.event.pull_request.head.repo.full_name == github.repository\n    runs-on: ubuntu-latest\n',
    );
    expect(checkWorkflowPolicy('fork-secrets.yml', text).errors).toEqual([]);
  });

  it('a negated guard does not count', () => {
    const text = read(fixtureDir, 'fork-secrets.yml').replace(
      '    runs-on: ubuntu-latest\n',
      '    if: github.event.pull_request.head.repo.full_name != github.repository\n    runs-on: ubuntu-latest\n',
    );
    expect(checkWorkflowPolicy('fork-secrets.yml', text).errors.map((e) => e.code)).toEqual(['E_WF_FORK_SECRETS']);
  });

  it('the same-repo guard counts only as the whole if: or a top-level && term', () => {
    const withIf = (expression: string): string[] =>
      checkWorkflowPolicy(
        'fork-secrets.yml',
        read(fixtureDir, 'fork-secrets.yml').replace(
          '    runs-on: ubuntu-latest\n',
          `    if: ${expression}\n    runs-on: ubuntu-latest\n`,
        ),
      ).errors.map((e) => e.code);
    const guard = 'github.event.pull_request.head.repo.full_name == github.repository';
    for (const ok of [
      guard,
      `\${{ ${guard} }}`,
      `(${guard})`,
      `${guard} && github.actor != 'dependabot[bot]'`,
      `always() && (${guard} && !cancelled())`,
      '${{ !github.event.pull_request.head.repo.fork }}',
      "github.repository == github.event.pull_request.head.repo.full_name && contains('a||b', 'a')",
    ]) {
      expect(withIf(ok), ok).toEqual([]);
    }
    for (const bad of [
      `${guard} || true`,
      `true || ${guard}`,
      `(${guard} || github.event_name == 'push') && always()`,
      `\${{ !(${guard}) }}`,
      `x${guard}`,
      `contains('${guard}', 'x')`,
      `${guard} == false`,
    ]) {
      expect(withIf(bad), bad).toEqual(['E_WF_FORK_SECRETS']);
    }
  });

  it('a signing secret needs a job that requires main (the whole if: or a top-level && term)', () => {
    const withIf = (expression: string): string[] =>
      checkWorkflowPolicy(
        'signing-unguarded.yml',
        read(fixtureDir, 'signing-unguarded.yml').replace(
          '    runs-on: ubuntu-latest\n',
          `    if: ${expression}\n    runs-on: ubuntu-latest\n`,
        ),
      ).errors.map((e) => e.code);
    expect(withIf("github.ref == 'refs/heads/main'")).toEqual([]);
    expect(withIf("github.event_name == 'push' && github.ref == 'refs/heads/main'")).toEqual([]);
    expect(withIf("github.ref == 'refs/heads/main' || github.event_name == 'workflow_dispatch'")).toEqual([
      'E_WF_SIGNING_UNGUARDED',
    ]);
    expect(withIf("github.ref != 'refs/heads/main'")).toEqual(['E_WF_SIGNING_UNGUARDED']);
    expect(withIf("github.ref == 'refs/heads/mainline'")).toEqual(['E_WF_SIGNING_UNGUARDED']);
  });

  it('script injection: PR title and head ref in run: are caught, the same values via env: are not', () => {
    const wf = (run: string, env = ''): string =>
      `on: pull_request\npermissions: {}\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: ${run}\n${env}`;
    const codes = (text: string): string[] => checkWorkflowPolicy('x.yml', text).errors.map((e) => e.code);
    expect(codes(wf('echo "${{ github.event.pull_request.title }}"'))).toEqual(['E_WF_SCRIPT_INJECTION']);
    expect(codes(wf('git log ${{ github.head_ref }}'))).toEqual(['E_WF_SCRIPT_INJECTION']);
    expect(
      codes(wf('echo "$TITLE"', '        env:\n          TITLE: ${{ github.event.pull_request.title }}\n')),
    ).toEqual([]);
    expect(codes(wf('echo ${{ github.event.pull_request.number }}'))).toEqual([]);
  });

  it('flags pull_request_target even without a checkout (warning) and reports broken YAML as an error', () => {
    const prt =
      'on: pull_request_target\npermissions: {}\njobs:\n  label:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo hi\n';
    expect(checkWorkflowPolicy('x.yml', prt).warnings.map((w) => w.code)).toEqual(['W_WF_PULL_REQUEST_TARGET']);
    const broken = checkWorkflowPolicy('x.yml', 'on: [push\njobs: {');
    expect(broken.errors[0]?.code).toBe('E_WF_YAML');
    expect(broken.value).toBeUndefined();
  });
});
