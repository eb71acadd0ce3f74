import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyzeExperiment, analyzeShadow, type ShadowAnalysis } from '../../src/analysis/index.ts';
import { loadProject, type ModelRolloutResource, type Project } from '../../src/config/index.ts';
import { setScalar } from '../../src/config/index.ts';
import { collectDecisions, planProposals } from '../../src/propose/index.ts';
import { openStore } from '@switchyard/data';

const ROOT = join(import.meta.dirname, '..', '..');
const readFile = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const ROLLOUT = 'chat-gpt-4o-2024-08-06';

function shadow(project: Project, avg: number, min: number, percent?: number): ShadowAnalysis {
  const r = project.rollouts.get(ROLLOUT) as ModelRolloutResource;
  return analyzeShadow(
    { ...r, percent: percent ?? r.percent },
    {
      summary: {
        pairs: 300,
        scored: 300,
        errors: 0,
        invalid: 0,
        atOrBelowMin: null,
        avg,
        min,
        p10: avg - 0.03,
        p50: avg,
      },
      histogram: new Array(10).fill(0),
      worst: [],
    },
  );
}

describe('planning proposals from decisions (demo organisation)', () => {
  let project: Project;
  beforeAll(async () => {
    const loaded = await loadProject(ROOT);
    expect(loaded.errors).toEqual([]);
    project = loaded.value!;
  });

  it('a ready model rollout advances one stage (5 → 25), editing only the percent and keeping comments', () => {
    const plan = planProposals(project, [shadow(project, 0.95, 0.8)], { readFile });
    expect(plan.errors).toEqual([]);
    const [p] = plan.value!;
    expect(p!.action).toBe('advance');
    expect(p!.to).toBe(25);
    expect(p!.branch).toBe(`switchyard/advance/${ROLLOUT}-25`);
    expect(p!.autoMerge).toBe(false);
    const edit = p!.edits[0]!;
    expect(edit.action).toBe('update');
    if (edit.action !== 'update') return;
    expect(edit.after).toBe(edit.before.replace('percent: 5\n', 'percent: 25\n'));
    expect(edit.after).toContain('# Existing conversations stay on the snapshot they started on');
    // the staging override is left as it is
    expect(parse(edit.after).environments.staging.percent).toBe(25);
  });

  it('a failing model rollout is killed (and may merge itself)', () => {
    const plan = planProposals(project, [shadow(project, 0.8, 0.5)], { readFile, autoMerge: ['kill'] });
    const [p] = plan.value!;
    expect(p!.action).toBe('kill');
    expect(p!.autoMerge).toBe(true);
    const edit = p!.edits[0]!;
    if (edit.action !== 'update') throw new Error('expected an update');
    expect(edit.after).toBe(edit.before.replace('killed: false\n', 'killed: true\n'));
  });

  it('a ready rollout at 100% is finished: the pin moves to the new snapshot and the rollout file goes', () => {
    const r = project.rollouts.get(ROLLOUT) as ModelRolloutResource;
    // Every environment at 100% (the demo's staging override goes along).
    const at100: Project = {
      ...project,
      rollouts: new Map(project.rollouts).set(ROLLOUT, {
        ...r,
        percent: 100,
        environments: { staging: { percent: 100 } },
      }),
    };
    const read = (path: string) =>
      path.endsWith(`${ROLLOUT}.yaml`)
        ? readFile(path).replace('percent: 5\n', 'percent: 100\n').replace('percent: 25', 'percent: 100')
        : readFile(path);
    const plan = planProposals(at100, [shadow(at100, 0.95, 0.8)], { readFile: read, autoMerge: ['revert', 'kill'] });
    const [p] = plan.value!;
    expect(p!.action).toBe('finish');
    expect(p!.autoMerge).toBe(false);
    expect(p!.edits.map((e) => [e.action, e.path])).toEqual([
      ['update', 'models/chat.yaml'],
      ['delete', `rollouts/${ROLLOUT}.yaml`],
    ]);
    const pin = p!.edits[0]!;
    if (pin.action !== 'update') throw new Error('expected an update');
    expect(parse(pin.after).snapshot).toBe('gpt-4o-2024-08-06');
    expect(pin.after).toContain('# existing conversations keep the snapshot they started on.');
  });

  it('does not finish (move the pin) while another environment still lags behind 100%', () => {
    const r = project.rollouts.get(ROLLOUT) as ModelRolloutResource;
    // Production (top level) at 100%, staging's override still at 25%.
    const lagging: Project = { ...project, rollouts: new Map(project.rollouts).set(ROLLOUT, { ...r, percent: 100 }) };
    const read = (path: string) =>
      path.endsWith(`${ROLLOUT}.yaml`) ? readFile(path).replace('percent: 5\n', 'percent: 100\n') : readFile(path);
    const plan = planProposals(lagging, [shadow(lagging, 0.95, 0.8, 100)], { env: 'production', readFile: read });
    expect(plan.errors).toEqual([]);
    expect(plan.value).toEqual([]);
  });

  it("with --env, starts from the environment's effective percent and edits its override", () => {
    // staging overrides the percent (25): advancing staging goes 25 → 100 in environments.staging.percent.
    const staging = planProposals(project, [shadow(project, 0.95, 0.8, 25)], { env: 'staging', readFile });
    expect(staging.errors).toEqual([]);
    const [p] = staging.value!;
    expect(p).toMatchObject({
      action: 'advance',
      from: 25,
      to: 100,
      branch: `switchyard/advance/${ROLLOUT}-staging-100`,
    });
    expect(p!.title).toContain('25% → 100%');
    expect(p!.title).toContain('in staging');
    const edit = p!.edits[0]!;
    if (edit.action !== 'update') throw new Error('expected an update');
    expect(edit.after).toBe(edit.before.replace('    percent: 25', '    percent: 100'));
    expect(parse(edit.after)).toMatchObject({ percent: 5, environments: { staging: { percent: 100 } } });
    // production has no override: the shared percent moves 5 → 25, the staging override stays.
    const [q] = planProposals(project, [shadow(project, 0.95, 0.8)], { env: 'production', readFile }).value!;
    expect(q).toMatchObject({ action: 'advance', from: 5, to: 25, branch: `switchyard/advance/${ROLLOUT}-25` });
    const shared = q!.edits[0]!;
    if (shared.action !== 'update') throw new Error('expected an update');
    expect(parse(shared.after)).toMatchObject({ percent: 25, environments: { staging: { percent: 25 } } });
  });

  it("collectDecisions judges a rollout at the filtered environment's effective percent", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-propose-'));
    const store = await openStore({ backend: 'pglite', dataDir: join(dir, 'events') });
    try {
      const percentIn = async (env: string | undefined) => {
        const analyses = await collectDecisions(store, project, { filter: { env } });
        const found = analyses.find((a): a is ShadowAnalysis => a.kind === 'shadow' && a.rollout === ROLLOUT);
        return found?.percent;
      };
      expect(await percentIn('staging')).toBe(25);
      expect(await percentIn('production')).toBe(5);
      expect(await percentIn(undefined)).toBe(5);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('with --env, leaves alone a rollout that environment has killed', () => {
    const r = project.rollouts.get(ROLLOUT) as ModelRolloutResource;
    const killedInProd: Project = {
      ...project,
      rollouts: new Map(project.rollouts).set(ROLLOUT, {
        ...r,
        environments: { ...r.environments, production: { killed: true } },
      }),
    };
    expect(
      planProposals(killedInProd, [shadow(killedInProd, 0.95, 0.8)], { env: 'production', readFile }).value,
    ).toEqual([]);
    expect(
      planProposals(killedInProd, [shadow(killedInProd, 0.95, 0.8, 25)], { env: 'staging', readFile }).value!.map(
        (p) => p.to,
      ),
    ).toEqual([100]);
  });

  it('an experiment winner concludes it: stopped, winning version active, old one deprecated', () => {
    const experiment = project.experiments.get('summarization-v1-vs-v2')!;
    const ev = (variant: string, mean: number) => ({
      variant,
      exposed: 5000,
      n: 5000,
      mean,
      variance: 1,
      binary: false,
    });
    const won = analyzeExperiment(experiment, {
      variants: [ev('control', 4), ev('treatment', 4.3)],
      guardrails: {},
      series: null,
    });
    expect(won.decision).toBe('winner');
    const [p] = planProposals(project, [won], { readFile, autoMerge: ['revert', 'kill'] }).value!;
    expect(p!.action).toBe('conclude');
    expect(p!.branch).toBe('switchyard/conclude/summarization-v1-vs-v2-v2');
    expect(p!.title).toBe(
      'Conclude summarization-v1-vs-v2: treatment wins (summarization v2, +7.5% agent_satisfaction)',
    );
    expect(p!.autoMerge).toBe(false);
    const after = Object.fromEntries(
      p!.edits.map((e) => [e.path, e.action === 'update' ? parse(e.after).status : null]),
    );
    expect(after).toEqual({
      'experiments/summarization-v1-vs-v2.yaml': 'stopped',
      'prompts/summarization/v2.yaml': 'active',
      'prompts/summarization/v1.yaml': 'deprecated',
    });
    // no winner, no proposal
    const tie = analyzeExperiment(experiment, {
      variants: [ev('control', 4), ev('treatment', 4)],
      guardrails: {},
      series: null,
    });
    expect(planProposals(project, [tie], { readFile }).value).toEqual([]);
  });

  it('no proposal while the evidence is not conclusive', () => {
    expect(planProposals(project, [shadow(project, 0.93, 0.6)], { readFile }).value).toEqual([]);
  });

  it('setScalar changes one value token and refuses anything that is not a plain value', () => {
    const text = '# head\na: 1 # keep\nb:\n  c: [1, 2]\n';
    expect(setScalar(text, ['a'], 5, 'x.yaml').value).toBe('# head\na: 5 # keep\nb:\n  c: [1, 2]\n');
    expect(setScalar(text, ['b'], 5, 'x.yaml').errors[0]!.code).toBe('E_PROPOSE_EDIT');
    expect(setScalar('a: [', ['a'], 1, 'x.yaml').errors[0]!.code).toBe('E_PROPOSE_PARSE');
    expect(setScalar('s: old\n', ['s'], 'needs: quoting', 'x.yaml').value).toBe('s: "needs: quoting"\n');
  });
});
