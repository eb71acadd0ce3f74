/**
 * The decision rules under simulation: A/A false-decision rates over 20 looks, power at the design
 * effect, the SRM false-alarm rate across looks, and the minimum-sample floor. Each simulated
 * experiment keeps only sufficient statistics per arm (n, Σx, Σx², or successes), grown look by
 * look, and runs the real `analyzeExperiment` / `analyzeCanary` at every look with the sequential
 * state carried as the store would carry it. Seeded: the same command prints the same figures.
 *
 *   npm run bench:decisions                      # 1,000 simulations per scenario
 *   npm run bench:decisions -- --sims 200 --seed 7
 *
 * Prints figures; asserts nothing (the unit tests assert the bounds on smaller runs).
 */
import { parseArgs } from 'node:util';
import {
  analyzeCanary,
  analyzeExperiment,
  planExperiment,
  type SequentialStates,
  type VariantEvidence,
} from '../../src/analysis/index.ts';
import type { CanaryResource, Experiment, MetricKind } from '../../src/config/types.ts';
import { createRng, fromProportion, fromSums, srmCheck, srmSequential, type Rng } from '../../src/stats/index.ts';

const { values } = parseArgs({
  options: {
    sims: { type: 'string', default: '1000' },
    seed: { type: 'string', default: '15' },
    'srm-sims': { type: 'string', default: '10000' },
  },
});
const SIMS = Number(values.sims);
const SEED = Number(values.seed);
const SRM_SIMS = Number(values['srm-sims']);
const LOOKS = 20;

interface Scenario {
  name: string;
  kind: MetricKind;
  arms: number;
  /** Baseline mean (binary: rate) and unit sd (for planning). */
  mean: number;
  sd: number;
  /** Relative design effect: what the plan sizes for and the power run injects. */
  mde: number;
  /** One unit's value in an arm whose mean is scaled by `lift` (1 = baseline). */
  draw: (rng: Rng, lift: number) => number;
}

const LOGNORMAL_SIGMA = 1.5;
const lognormalMean = Math.exp((LOGNORMAL_SIGMA * LOGNORMAL_SIGMA) / 2);
const lognormalSd = Math.sqrt((Math.exp(LOGNORMAL_SIGMA ** 2) - 1) * Math.exp(LOGNORMAL_SIGMA ** 2));

const SCENARIOS: Scenario[] = [
  {
    name: 'normal (mean 4, sd 1)',
    kind: 'continuous',
    arms: 2,
    mean: 4,
    sd: 1,
    mde: 0.02,
    draw: (r, lift) => r.normal(4 * lift, 1),
  },
  {
    name: 'binary 1%',
    kind: 'binary',
    arms: 2,
    mean: 0.01,
    sd: Math.sqrt(0.01 * 0.99),
    mde: 0.2,
    draw: (r, lift) => (r.next() < 0.01 * lift ? 1 : 0),
  },
  {
    name: 'binary 10%',
    kind: 'binary',
    arms: 2,
    mean: 0.1,
    sd: 0.3,
    mde: 0.1,
    draw: (r, lift) => (r.next() < 0.1 * lift ? 1 : 0),
  },
  {
    name: `lognormal (σ ${LOGNORMAL_SIGMA}, heavy tail)`,
    kind: 'continuous',
    arms: 2,
    mean: lognormalMean,
    sd: lognormalSd,
    mde: 0.1,
    draw: (r, lift) => lift * Math.exp(r.normal(0, LOGNORMAL_SIGMA)),
  },
  {
    name: 'three arms (normal)',
    kind: 'continuous',
    arms: 3,
    mean: 4,
    sd: 1,
    mde: 0.02,
    draw: (r, lift) => r.normal(4 * lift, 1),
  },
];

const ARM_NAMES = ['control', 'treatment', 'treatment-b'];

function experimentFor(s: Scenario, minSamples: number, mde = s.mde): Experiment {
  const variants = Object.fromEntries(
    ARM_NAMES.slice(0, s.arms).map((name, i) => [name, { version: i + 1, weight: 1 }]),
  );
  return {
    experiment: 'sim',
    status: 'running',
    prompt: 'p',
    unit: 'userId',
    traffic: 100,
    variants,
    metrics: { primary: 'm', guardrails: [], definitions: { m: { kind: s.kind, direction: 'higher' } }, mde },
    minSamples,
  };
}

const canary: CanaryResource = {
  kind: 'Canary',
  flag: 'sim',
  percent: 10,
  stages: [10, 25, 50, 100],
  killed: false,
  unit: 'userId',
  control: { embeddingModel: 'a', retrieval: 'semantic', topK: 5, index: 'x' },
  candidate: { embeddingModel: 'b', retrieval: 'hybrid', topK: 10, index: 'y' },
  analysis: { metric: 'm', revertBelow: 0.95, advanceAbove: 1.05, minSamples: 100 },
};

interface Arm {
  n: number;
  sum: number;
  sq: number;
}

function evidence(name: string, arm: Arm, binary: boolean): VariantEvidence {
  const summary = binary ? fromProportion(arm.sum, arm.n) : fromSums(arm.n, arm.sum, arm.sq);
  return { variant: name, exposed: arm.n, reporting: binary ? arm.sum : arm.n, ...summary, binary };
}

interface Outcome {
  winner: number;
  wrongWinner: number;
  revert: number;
  advance: number;
}

/** `sims` experiments of one scenario; `lifts[i]` scales arm i's mean; units per arm grow linearly to `perArm`. */
function simulate(
  s: Scenario,
  lifts: number[],
  perArm: number,
  sims: number,
  rng: Rng,
  floor?: number,
  schedule?: number[],
): Outcome {
  // The floor runs use the default mixing scale (no mde declared): the setting where tiny samples hurt most.
  const experiment = experimentFor(s, 100, floor === undefined ? s.mde : undefined);
  const binary = s.kind === 'binary';
  const out: Outcome = { winner: 0, wrongWinner: 0, revert: 0, advance: 0 };
  const looks = schedule ?? Array.from({ length: LOOKS }, (_, i) => Math.round((perArm * (i + 1)) / LOOKS));
  for (let sim = 0; sim < sims; sim++) {
    const arms: Arm[] = lifts.map(() => ({ n: 0, sum: 0, sq: 0 }));
    let state: SequentialStates = {};
    let canaryState: SequentialStates = {};
    let winner: string | null = null;
    let reverted = false;
    let advanced = false;
    for (const target of looks) {
      arms.forEach((arm, i) => {
        const lift = lifts[i]!;
        for (let k = arm.n; k < target; k++) {
          const x = s.draw(rng, lift);
          arm.n += 1;
          arm.sum += x;
          arm.sq += x * x;
        }
      });
      const variants = arms.map((arm, i) => evidence(ARM_NAMES[i]!, arm, binary));
      const a = analyzeExperiment(
        experiment,
        { variants, guardrails: {}, series: null },
        { state, ...(floor === undefined ? {} : { minSamplesFloor: floor }) },
      );
      state = { ...state, ...a.state };
      if (a.decision === 'winner' && winner === null) winner = a.winner;
      if (s.arms === 2 && floor === undefined) {
        const c = analyzeCanary(
          { ...canary, analysis: { ...canary.analysis, kind: s.kind, direction: 'higher' } },
          { variants: [{ ...variants[0]! }, { ...variants[1]!, variant: 'candidate' }], guardrails: {}, series: null },
          { state: canaryState },
        );
        canaryState = { ...canaryState, ...c.state };
        if (c.decision === 'revert') reverted = true;
        if (c.decision === 'advance') advanced = true;
      }
    }
    if (winner !== null) out.winner += 1;
    const best = lifts.indexOf(Math.max(...lifts));
    if (winner !== null && winner !== ARM_NAMES[best] && lifts.some((l) => l !== 1)) out.wrongWinner += 1;
    if (reverted) out.revert += 1;
    if (advanced) out.advance += 1;
  }
  return out;
}

const pct = (k: number, n: number) => `${((100 * k) / n).toFixed(2)}%`;
const started = Date.now();
const rng = createRng(SEED);
console.log(`decision rules under simulation: ${SIMS} experiments per scenario, ${LOOKS} looks each, seed ${SEED}\n`);
console.log(
  '| scenario | units/arm (fixed-horizon → sequential plan) | A/A false winner | A/A false revert | A/A false advance | power at design effect | s |',
);
console.log('|---|---|---|---|---|---|---|');
for (const s of SCENARIOS) {
  const t = Date.now();
  const plan = planExperiment({
    baselineMean: s.mean,
    ...(s.kind === 'binary' ? { binary: true } : { sd: s.sd }),
    mde: s.mde,
  });
  const aa = simulate(s, new Array(s.arms).fill(1), plan.sequentialPerArm, SIMS, rng);
  const lifts = new Array(s.arms).fill(1);
  lifts[1] = 1 + s.mde;
  const power = simulate(s, lifts, plan.sequentialPerArm, SIMS, rng);
  const canaryCols = s.arms === 2 ? [pct(aa.revert, SIMS), pct(aa.advance, SIMS)] : ['–', '–'];
  console.log(
    `| ${s.name}, design +${(s.mde * 100).toFixed(0)}% | ${plan.fixedHorizonPerArm} → ${plan.sequentialPerArm} | ${pct(aa.winner, SIMS)} | ${canaryCols.join(' | ')} | ${pct(power.winner - power.wrongWinner, SIMS)} | ${((Date.now() - t) / 1000).toFixed(1)} |`,
  );
}

// SRM: fair assignment, 500 new units per look; the sequential test's running minimum vs the χ² test re-run at each look.
{
  const t = Date.now();
  let sequential = 0;
  let chiAny = 0;
  let chiOne = 0;
  for (let sim = 0; sim < SRM_SIMS; sim++) {
    const counts = [0, 0];
    let min = 1;
    let chiAlarm = false;
    for (let look = 0; look < LOOKS; look++) {
      for (let k = 0; k < 500; k++) counts[rng.next() < 0.5 ? 0 : 1]! += 1;
      min = Math.min(min, srmSequential(counts, [50, 50]).pValue);
      const chi = srmCheck(counts, [50, 50])!;
      if (chi.mismatch) {
        chiAlarm = true;
        if (look === 0) chiOne += 1;
      }
    }
    if (min < 0.001) sequential += 1;
    if (chiAlarm) chiAny += 1;
  }
  console.log(
    `\nSRM, ${SRM_SIMS} fair 50/50 experiments, 500 units per look, ${LOOKS} looks (${((Date.now() - t) / 1000).toFixed(1)} s):`,
  );
  console.log(
    `  sequential test (running minimum, p < 0.001): false alarm in ${pct(sequential, SRM_SIMS)} of experiments`,
  );
  console.log(
    `  χ² at p < 0.001 re-checked at every look:      ${pct(chiAny, SRM_SIMS)} (one look: ${pct(chiOne, SRM_SIMS)})`,
  );
}

// The minimum-sample floor: A/A from 2 units per arm on (looks at 2, 2 + 2k², … units), by floor,
// with the default mixing scale (10% of the control mean).
{
  const schedule = Array.from({ length: LOOKS }, (_, i) => 2 + 2 * i * i);
  console.log(
    `\nminSamples floor: A/A false-winner rate with looks at ${schedule.slice(0, 5).join(', ')}, … ${schedule.at(-1)} units per arm`,
  );
  console.log('| floor | normal (mean 4, sd 1) | lognormal | binary 10% |');
  console.log('|---|---|---|---|');
  for (const floor of [2, 10, 30, 100]) {
    const cells = [SCENARIOS[0]!, SCENARIOS[3]!, SCENARIOS[2]!].map((s) =>
      pct(simulate(s, [1, 1], 0, SIMS, rng, floor, schedule).winner, SIMS),
    );
    console.log(`| ${floor} | ${cells.join(' | ')} |`);
  }
}
console.log(`\ntotal ${((Date.now() - started) / 1000).toFixed(1)} s`);
