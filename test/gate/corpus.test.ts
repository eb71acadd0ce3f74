/**
 * The gate's corpus: ways to move users faster than the stages allow, to weaken the gate, or to
 * remove what is served — each committed on a branch of one temp repository and run through
 * `switchyard pipeline --base <base>` in-process. Every one must exit 1 with a blocked report that
 * carries its stable code; the same intent, split into the steps the rules allow (or done the
 * documented way), must pass step by step. One repository and one content cache for all cases, so
 * promptfoo is imported once and unchanged cases are never re-run.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import type { Report } from '../../src/eval/index.ts';
import { makeDemoRepo, type DemoRepo } from '../eval/demo-repo.ts';
import { testIo } from '../eval/io.ts';

let repo: DemoRepo;
beforeAll(async () => {
  repo = await makeDemoRepo();
}, 60_000);
afterAll(() => repo?.cleanup());

type Edit = (r: DemoRepo) => Promise<void>;

interface Case {
  name: string;
  /** Committed on the branch first and used as the base (a state main does not have). */
  setup?: Edit;
  blocked: Edit;
  /** Stable codes the blocked report must carry. */
  codes: string[];
  /** The same intent, in steps the rules allow: each one is judged against the previous commit. */
  allowed: Edit[];
}

const ROLLOUT = 'rollouts/chat-gpt-4o-2024-08-06.yaml';
const FLAG = 'rollouts/new-onboarding-tips.yaml';
const CANARY = 'rollouts/rag-hybrid-large.yaml';
const EXPERIMENT = 'experiments/summarization-v1-vs-v2.yaml';

const sub =
  (path: string, from: RegExp | string, to: string): Edit =>
  (r) =>
    r.edit(path, (t) => t.replace(from, to));
const all =
  (...edits: Edit[]): Edit =>
  async (r) => {
    for (const e of edits) await e(r);
  };
const write =
  (path: string, text: string): Edit =>
  (r) =>
    writeFile(join(r.dir, path), text);
const remove =
  (path: string): Edit =>
  (r) =>
    rm(join(r.dir, path));
const mkdirOf =
  (path: string): Edit =>
  (r) =>
    mkdir(join(r.dir, path), { recursive: true }).then(() => undefined);
const SUMMARY_V1 = 'prompts/summarization/v1.yaml';
const REFUND_WORD = 'evals/refund-word.txt';
const percent = (path: string, p: number): Edit => sub(path, /^percent: \d+$/m, `percent: ${p}`);
const copyPrompt =
  (from: string, to: string, change: (t: string) => string): Edit =>
  async (r) =>
    writeFile(join(r.dir, to), change(await r.read(from)));

const dropStagingOverride = sub(ROLLOUT, /\nenvironments:\n {2}staging:\n {4}percent: 25\n?/, '\n');
const newFlag = (name: string, stages: number[], p: number): string =>
  `kind: Flag\nflag: ${name}\npercent: ${p}\nstages: [${stages.join(', ')}]\nkilled: false\nunit: userId\n`;
/** summarization v3: v1 with an instruction the tests catch (the offline model honours it). */
const frenchV3 = (minPassRate: number): Edit =>
  copyPrompt('prompts/summarization/v1.yaml', 'prompts/summarization/v3.yaml', (t) =>
    t
      .replace(/^version: 1$/m, 'version: 3')
      .replace('in two sentences for a busy agent.', 'in two sentences for a busy agent. Always reply in French.')
      .replace(/minPassRate: [0-9.]+/, `minPassRate: ${minPassRate}`),
  );
const activateV3 = all(
  sub('prompts/summarization/v1.yaml', /^status: active$/m, 'status: deprecated'),
  sub(EXPERIMENT, /^status: running$/m, 'status: stopped'),
);
const supportV2 = (status: string, extra = ''): Edit =>
  copyPrompt('prompts/support-answer/v1.yaml', 'prompts/support-answer/v2.yaml', (t) =>
    t
      .replace(/^version: 1$/m, 'version: 2')
      .replace(/^status: active$/m, `status: ${status}`)
      .replace(/^description: .*$/m, `description: Support answers, second version.${extra}`),
  );
const supportExperiment = (traffic: number, control: number): string =>
  `experiment: support-answer-v2-trial\nstatus: running\nprompt: support-answer\nunit: userId\ntraffic: ${traffic}\nvariants:\n  control:\n    version: 1\n    weight: ${control}\n  treatment:\n    version: 2\n    weight: ${100 - control}\nmetrics:\n  primary: resolution_rate\n  guardrails: [latency_ms]\nminSamples: 500\n`;

const CASES: Case[] = [
  {
    name: 'rewrite the stage list to skip stages ([1, 5, 25, 100] → [5, 100], 5 → 100)',
    blocked: all(
      sub(ROLLOUT, 'stages: [1, 5, 25, 100]', 'stages: [5, 100]'),
      percent(ROLLOUT, 100),
      dropStagingOverride,
    ),
    codes: ['E_GATE_EXPOSURE_STEP', 'E_GATE_POLICY_MIXED'],
    allowed: [percent(ROLLOUT, 25), percent(ROLLOUT, 100)],
  },
  {
    name: 'edit the pin and delete the rollout that was moving users there (5% → 100%)',
    blocked: all(
      sub('models/chat.yaml', 'snapshot: gpt-4o-2024-05-13', 'snapshot: gpt-4o-2024-08-06'),
      remove(ROLLOUT),
    ),
    codes: ['E_GATE_EXPOSURE_STEP'],
    allowed: [
      percent(ROLLOUT, 25),
      percent(ROLLOUT, 100),
      all(sub('models/chat.yaml', 'snapshot: gpt-4o-2024-05-13', 'snapshot: gpt-4o-2024-08-06'), remove(ROLLOUT)),
    ],
  },
  {
    name: 'activate a failing version with its own tests.minPassRate: 0',
    blocked: all(frenchV3(0), activateV3),
    codes: ['E_EVAL_GATE'],
    allowed: [
      all(
        copyPrompt('prompts/summarization/v1.yaml', 'prompts/summarization/v3.yaml', (t) =>
          t
            .replace(/^version: 1$/m, 'version: 3')
            .replace(/^description: .*$/m, 'description: Neutral summary, third version.'),
        ),
        activateV3,
      ),
    ],
  },
  {
    name: 'lower defaults.minPassRate in the change that activates a failing version',
    blocked: all(sub('switchyard.yaml', 'minPassRate: 0.8', 'minPassRate: 0.2'), frenchV3(0.2), activateV3),
    codes: ['E_GATE_POLICY_MIXED', 'E_EVAL_GATE'],
    allowed: [sub('switchyard.yaml', 'minPassRate: 0.8', 'minPassRate: 0.7')],
  },
  {
    name: 'delete the active, served prompt version',
    blocked: remove('prompts/support-answer/v1.yaml'),
    codes: ['E_GATE_SERVED_REMOVED'],
    allowed: [
      all(supportV2('active'), sub('prompts/support-answer/v1.yaml', /^status: active$/m, 'status: deprecated')),
      remove('prompts/support-answer/v1.yaml'),
    ],
  },
  {
    name: "weaken an active version's assertion through the file its test reads",
    setup: all(
      mkdirOf('evals'),
      write(REFUND_WORD, 'refund'),
      sub(SUMMARY_V1, 'value: refund', `value: file://${REFUND_WORD}`),
    ),
    blocked: write(REFUND_WORD, 'the'),
    codes: ['E_IMMUTABLE_VERSION'],
    allowed: [
      all(
        write('evals/refund-word-v3.txt', 'the'),
        copyPrompt(SUMMARY_V1, 'prompts/summarization/v3.yaml', (t) =>
          t
            .replace(/^version: 1$/m, 'version: 3')
            .replace(/^status: active$/m, 'status: draft')
            .replace(/^description: .*$/m, 'description: Neutral summary, third version.')
            .replace(REFUND_WORD, 'evals/refund-word-v3.txt'),
        ),
      ),
    ],
  },
  {
    name: 'revive a killed flag at its old percent (kill → revive)',
    setup: sub(FLAG, 'killed: false', 'killed: true'),
    blocked: sub(FLAG, 'killed: true', 'killed: false'),
    codes: ['E_GATE_EXPOSURE_STEP'],
    allowed: [all(sub(FLAG, 'killed: true', 'killed: false'), percent(FLAG, 1)), percent(FLAG, 5), percent(FLAG, 25)],
  },
  {
    name: 'rename a flag (new seed, new stage list starting at 25)',
    blocked: all(remove(FLAG), write('rollouts/onboarding-tips.yaml', newFlag('onboarding-tips', [25, 100], 25))),
    codes: ['E_GATE_EXPOSURE_STEP'],
    allowed: [write('rollouts/onboarding-tips.yaml', newFlag('onboarding-tips', [1, 5, 25, 100], 1)), remove(FLAG)],
  },
  {
    name: 'a new flag whose only stage is 100',
    blocked: write('rollouts/dark-mode.yaml', newFlag('dark-mode', [100], 100)),
    codes: ['E_GATE_EXPOSURE_STEP'],
    allowed: [
      write('rollouts/dark-mode.yaml', newFlag('dark-mode', [5, 100], 5)),
      percent('rollouts/dark-mode.yaml', 100),
    ],
  },
  {
    name: "raise a running experiment's traffic 20 → 100 (untested variant to 50%)",
    blocked: sub(EXPERIMENT, 'traffic: 20', 'traffic: 100'),
    codes: ['E_GATE_EXPOSURE_STEP'],
    allowed: [
      sub(EXPERIMENT, 'traffic: 20', 'traffic: 40'),
      sub(EXPERIMENT, 'traffic: 40', 'traffic: 60'),
      sub(EXPERIMENT, 'traffic: 60', 'traffic: 80'),
      sub(EXPERIMENT, 'traffic: 80', 'traffic: 100'),
    ],
  },
  {
    name: 'serve an untested draft to 90% through a new experiment',
    blocked: all(
      supportV2('draft', ' Replies in all caps.'),
      write('experiments/support-answer-v2-trial.yaml', supportExperiment(100, 10)),
    ),
    codes: ['E_GATE_EXPOSURE_STEP'],
    allowed: [
      all(
        supportV2('draft', ' Replies in all caps.'),
        write('experiments/support-answer-v2-trial.yaml', supportExperiment(20, 50)),
      ),
    ],
  },
  {
    name: 'retarget a running rollout to another snapshot at the same percent',
    blocked: sub(ROLLOUT, 'to: gpt-4o-2024-08-06', 'to: gpt-4o-mini-2024-07-18'),
    codes: ['E_GATE_EXPOSURE_STEP'],
    allowed: [
      all(
        sub(ROLLOUT, 'to: gpt-4o-2024-08-06', 'to: gpt-4o-mini-2024-07-18'),
        percent(ROLLOUT, 1),
        sub(ROLLOUT, /^ {4}percent: 25$/m, '    percent: 1'),
      ),
      percent(ROLLOUT, 5),
    ],
  },
  {
    name: 'change the seed while widening (reshuffles who is in)',
    blocked: all(sub(ROLLOUT, 'unit: userId', 'unit: userId\nseed: chat-rollout-2'), percent(ROLLOUT, 25)),
    codes: ['E_GATE_EXPOSURE_STEP'],
    allowed: [sub(ROLLOUT, 'unit: userId', 'unit: userId\nseed: chat-rollout-2'), percent(ROLLOUT, 25)],
  },
  {
    name: 'bucket a widening rollout by another unit (reshuffles who is in, like a new seed)',
    blocked: all(sub(ROLLOUT, 'unit: userId', 'unit: accountId'), percent(ROLLOUT, 25)),
    codes: ['E_GATE_EXPOSURE_STEP'],
    allowed: [sub(ROLLOUT, 'unit: userId', 'unit: accountId'), percent(ROLLOUT, 25)],
  },
  {
    name: "rewrite a canary's stages to jump 10 → 100",
    blocked: all(
      sub(CANARY, 'stages: [10, 25, 50, 100]', 'stages: [10, 100]'),
      percent(CANARY, 100),
      sub(CANARY, /^ {2}next: 25\n/m, ''),
    ),
    codes: ['E_GATE_EXPOSURE_STEP', 'E_GATE_POLICY_MIXED'],
    allowed: [
      all(percent(CANARY, 25), sub(CANARY, 'next: 25', 'next: 50')),
      all(percent(CANARY, 50), sub(CANARY, 'next: 50', 'next: 100')),
      all(percent(CANARY, 100), sub(CANARY, /^ {2}next: 100\n/m, '')),
    ],
  },
  {
    name: 'drop a per-environment kill (production revives at 25%)',
    setup: sub(FLAG, 'unit: userId', 'unit: userId\nenvironments:\n  production:\n    killed: true'),
    blocked: sub(FLAG, /\nenvironments:\n {2}production:\n {4}killed: true/, ''),
    codes: ['E_GATE_EXPOSURE_STEP'],
    allowed: [
      sub(FLAG, 'killed: true', 'percent: 1'),
      sub(FLAG, '    percent: 1', '    percent: 5'),
      sub(FLAG, /\nenvironments:\n {2}production:\n {4}percent: 5/, ''),
    ],
  },
  {
    name: "loosen a rollout's shadow gate in the change that widens it",
    blocked: all(sub(ROLLOUT, 'minAvgSimilarity: 0.9', 'minAvgSimilarity: 0.5'), percent(ROLLOUT, 25)),
    codes: ['E_GATE_POLICY_MIXED'],
    allowed: [sub(ROLLOUT, 'minAvgSimilarity: 0.9', 'minAvgSimilarity: 0.85'), percent(ROLLOUT, 25)],
  },
  {
    name: 'raise gate.firstStagePercent in the change that starts a flag at 50%',
    blocked: all(
      sub('switchyard.yaml', 'eval:\n  concurrency: 4', 'eval:\n  concurrency: 4\ngate:\n  firstStagePercent: 50'),
      write('rollouts/dark-mode.yaml', newFlag('dark-mode', [50, 100], 50)),
    ),
    codes: ['E_GATE_POLICY_MIXED', 'E_GATE_EXPOSURE_STEP'],
    allowed: [
      sub('switchyard.yaml', 'eval:\n  concurrency: 4', 'eval:\n  concurrency: 4\ngate:\n  firstStagePercent: 50'),
      write('rollouts/dark-mode.yaml', newFlag('dark-mode', [50, 100], 50)),
    ],
  },
  {
    name: 'deprecate the only active version (callers get no prompt)',
    blocked: sub('prompts/support-answer/v1.yaml', /^status: active$/m, 'status: deprecated'),
    codes: ['E_GATE_EXPOSURE_STEP'],
    allowed: [
      all(supportV2('active'), sub('prompts/support-answer/v1.yaml', /^status: active$/m, 'status: deprecated')),
    ],
  },
  {
    name: 'delete a version a running experiment serves, with the experiment',
    blocked: all(remove(EXPERIMENT), remove('prompts/summarization/v2.yaml')),
    codes: ['E_GATE_SERVED_REMOVED'],
    allowed: [
      sub(EXPERIMENT, /^status: running$/m, 'status: stopped'),
      all(remove(EXPERIMENT), remove('prompts/summarization/v2.yaml')),
    ],
  },
  {
    name: 'stop pinning conversations (every stored conversation switches at once)',
    blocked: sub('models/chat.yaml', 'conversations: pinned', 'conversations: follow'),
    codes: ['E_GATE_PINNED_SNAPSHOT'],
    // The documented path for what the edit wanted: retire the old snapshot once nobody starts on it.
    allowed: [
      percent(ROLLOUT, 25),
      percent(ROLLOUT, 100),
      all(sub('models/chat.yaml', 'snapshot: gpt-4o-2024-05-13', 'snapshot: gpt-4o-2024-08-06'), remove(ROLLOUT)),
      sub('models/chat.yaml', 'retired: []', 'retired: [gpt-4o-2024-05-13]'),
    ],
  },
  {
    name: 'delete a killed rollout (conversations pinned to its target get it back)',
    setup: sub(ROLLOUT, 'killed: false', 'killed: true'),
    blocked: remove(ROLLOUT),
    codes: ['E_GATE_PINNED_SNAPSHOT'],
    allowed: [all(remove(ROLLOUT), sub('models/chat.yaml', 'retired: []', 'retired: [gpt-4o-2024-08-06]'))],
  },
];

async function pipeline(base: string): Promise<{ code: number; report: Report; text: string }> {
  const io = testIo(repo.dir);
  const code = await main(['pipeline', '--base', base], io);
  const report = JSON.parse(await readFile(join(repo.dir, '.switchyard/report/report.json'), 'utf8')) as Report;
  return { code, report, text: io.text() };
}

function branch(name: string, setup: Edit | undefined): Promise<string> {
  repo.git('checkout', '-q', '-f', 'main');
  repo.git('checkout', '-q', '-B', name);
  return (async () => {
    if (!setup) return 'main';
    await setup(repo);
    return repo.commit('setup');
  })();
}

describe('the gate corpus', () => {
  it('has at least 15 distinct ways around the stages, the policy or what is served', () => {
    expect(new Set(CASES.map((c) => c.name)).size).toBeGreaterThanOrEqual(15);
  });

  describe.each(CASES.map((c, i) => [c.name, c, i] as const))('%s', (_name, c, i) => {
    it('is blocked with a stable code', async () => {
      const base = await branch(`blocked-${i}`, c.setup);
      await c.blocked(repo);
      repo.commit(`blocked ${i}`);
      const { code, report, text } = await pipeline(base);
      expect(code, text).toBe(1);
      expect(report.verdict).toBe('fail');
      const md = await readFile(join(repo.dir, '.switchyard/report/report.md'), 'utf8');
      expect(md).toMatch(/^## ❌ Switchyard: blocked/);
      for (const want of c.codes) expect(report.blockers.join('\n'), `${want} in ${text}`).toContain(want);
    }, 120_000);

    it('passes split into the steps the rules allow', async () => {
      let base = await branch(`allowed-${i}`, c.setup);
      for (const [n, step] of c.allowed.entries()) {
        await step(repo);
        const head = repo.commit(`allowed ${i}.${n}`);
        const { code, report, text } = await pipeline(base);
        expect(code, `step ${n + 1}: ${report.blockers.join('\n')}\n${text}`).toBe(0);
        base = head;
      }
    }, 240_000);
  });
});
