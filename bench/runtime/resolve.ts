/**
 * Runtime resolution benchmark: median and p99 ns per resolution for a 25% rollout, an experiment
 * assignment and a pinned-conversation lookup, side by side in the same process with
 * @openfeature/flagd-core (fractional rule) and @growthbook/growthbook (coverage / experiment rule)
 * on the same unit keys; then memory per loaded bundle.
 *
 * Method: each case runs ROUNDS batches of BATCH calls over a rotating set of 10 000 keys; a batch's
 * ns/call is its elapsed time / BATCH (timing single sub-µs calls would measure the clock instead).
 * Median and p99 are over batches. Run: `npm run bench:runtime` (Node with --expose-gc for memory).
 */
import { FlagdCore } from '@openfeature/flagd-core';
import { GrowthBookClient } from '@growthbook/growthbook';
import { buildTable, Engine } from '@switchyard/runtime/bundle';
import type { BundlePayload, EventSink } from '@switchyard/runtime';
import type { DecisionTable } from '@switchyard/runtime/bundle';
import { demoPayload } from '../../packages/runtime/test/helpers/bundles.ts';

const KEYS = Array.from({ length: 10_000 }, (_, i) => `user-${i}-${(i * 2654435761) >>> 0}`);
const BATCH = 1000;
const ROUNDS = Number(process.env.ROUNDS ?? 400);
// Warm-up calls per case before timing (×1000): V8 needs a few million calls to settle its tiers;
// with 200 000 the first timed batches were still ~1.7× slower.
const WARM = Number(process.env.WARM ?? 3000);

function table(p: BundlePayload, serial = 1): DecisionTable {
  const r = buildTable(p, {
    serial,
    env: p.env,
    commit: p.commit,
    createdAt: Date.now(),
    expiresAt: Date.now() + 86_400_000,
    payloadSha256: '0'.repeat(64),
  });
  if (!r.ok) throw new Error(r.message);
  return r.table;
}

let sinkCount = 0;
const countingSink: EventSink = {
  write: () => {
    sinkCount++;
  },
  flush: async () => {},
  close: async () => {},
  stats: () => ({ accepted: sinkCount, written: sinkCount, dropped: 0 }),
};

const quiet = new Engine({ exposures: { experiments: false, modelRollouts: false, canaries: false } });
quiet.swap(table(demoPayload()));
const withExposures = new Engine({ sink: countingSink });
withExposures.swap(table(demoPayload()));

const flagd = new FlagdCore();
flagd.setConfigurations(
  JSON.stringify({
    flags: {
      'new-onboarding-tips': {
        state: 'ENABLED',
        variants: { on: true, off: false },
        defaultVariant: 'off',
        targeting: {
          fractional: [{ cat: [{ var: '$flagd.flagKey' }, { var: 'targetingKey' }] }, ['on', 25], ['off', 75]],
        },
      },
      'summarization-v1-vs-v2': {
        state: 'ENABLED',
        variants: { control: 'control', treatment: 'treatment', none: 'none' },
        defaultVariant: 'none',
        targeting: {
          fractional: [
            ['control', 25],
            ['none', 50],
            ['treatment', 25],
          ],
        },
      },
    },
  }),
);

const gb = new GrowthBookClient().initSync({
  payload: {
    features: {
      'new-onboarding-tips': { defaultValue: false, rules: [{ force: true, coverage: 0.25, hashAttribute: 'id' }] },
      'summarization-v1-vs-v2': {
        defaultValue: 'none',
        rules: [
          {
            key: 'summarization-v1-vs-v2',
            variations: ['control', 'treatment'],
            weights: [0.5, 0.5],
            coverage: 0.5,
            hashAttribute: 'id',
          },
        ],
      },
    },
  },
});

// Prebuilt contexts so every library pays only for its evaluation, not for our allocations.
const sCtx = KEYS.map((unitKey) => ({ unitKey }));
const pinnedCtx = KEYS.map((unitKey, i) => ({
  unitKey,
  conversation: { snapshot: i % 2 ? 'gpt-4o-2024-05-13' : 'gpt-4o-2024-08-06' },
}));
const fCtx = KEYS.map((targetingKey) => ({ targetingKey }));
const gCtx = KEYS.map((id) => ({ attributes: { id } }));

let sink = 0; // consumes results so nothing is optimised away
function measure(fn: (i: number) => unknown): { median: number; p99: number } {
  const per: number[] = [];
  let k = 0;
  for (let w = 0; w < WARM; w++) for (let j = 0; j < BATCH; j++) fn((k = (k + 1) % KEYS.length));
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    for (let j = 0; j < BATCH; j++) {
      if (fn((k = (k + 1) % KEYS.length))) sink++;
    }
    per.push(Number(process.hrtime.bigint() - t0) / BATCH);
  }
  per.sort((a, b) => a - b);
  return { median: per[Math.floor(per.length / 2)] as number, p99: per[Math.floor(per.length * 0.99)] as number };
}

const cases: Array<[string, string, (i: number) => unknown]> = [
  ['25% rollout', 'switchyard isEnabled', (i) => quiet.isEnabled('new-onboarding-tips', sCtx[i]).value],
  [
    '25% rollout',
    'flagd-core fractional',
    (i) => flagd.resolveBooleanEvaluation('new-onboarding-tips', false, fCtx[i]).value,
  ],
  ['25% rollout', 'growthbook coverage', (i) => gb.isOn('new-onboarding-tips', gCtx[i]!)],
  [
    'experiment assignment',
    'switchyard assignExperiment',
    (i) => quiet.assignExperiment('summarization-v1-vs-v2', sCtx[i]).value.variant,
  ],
  [
    'experiment assignment',
    'switchyard + exposure event',
    (i) => withExposures.assignExperiment('summarization-v1-vs-v2', sCtx[i]).value.variant,
  ],
  [
    'experiment assignment',
    'flagd-core fractional',
    (i) => flagd.resolveStringEvaluation('summarization-v1-vs-v2', 'none', fCtx[i]).value,
  ],
  ['experiment assignment', 'growthbook experiment', (i) => gb.evalFeature('summarization-v1-vs-v2', gCtx[i]!).value],
  ['pinned conversation', 'switchyard resolveModel', (i) => quiet.resolveModel('chat', pinnedCtx[i]).value],
  ['model rollout (new conv.)', 'switchyard resolveModel', (i) => quiet.resolveModel('chat', sCtx[i]).value],
];

// Each case runs in its own process: in one process the shared measuring loop's call site turns
// megamorphic and the order of the cases decides the figures (the same isEnabled read 214 ns
// measured first and 132 ns measured last).
const only = process.argv.indexOf('--case');
if (only >= 0) {
  const [, , fn] = cases[Number(process.argv[only + 1])]!;
  process.stdout.write(JSON.stringify(measure(fn)));
  process.exit(0);
}
const { execFileSync } = await import('node:child_process');
console.log(
  `Node ${process.version}, ${KEYS.length} keys, ${ROUNDS} batches × ${BATCH} calls per case, one process per case\n`,
);
console.log('case                        implementation                  median ns   p99 ns');
const results = new Map<string, number>();
for (const [index, [name, impl]] of cases.entries()) {
  const out = execFileSync(process.execPath, [...process.execArgv, process.argv[1]!, '--case', String(index)], {
    encoding: 'utf8',
    env: process.env,
  });
  const { median, p99 } = JSON.parse(out) as { median: number; p99: number };
  results.set(`${name}|${impl}`, median);
  console.log(`${name.padEnd(28)}${impl.padEnd(32)}${median.toFixed(0).padStart(9)}${p99.toFixed(0).padStart(9)}`);
}
const ratio = (a: string, b: string) => (results.get(b)! / results.get(a)!).toFixed(1);
console.log(
  `\nflagd-core / switchyard: rollout ${ratio('25% rollout|switchyard isEnabled', '25% rollout|flagd-core fractional')}×, experiment ${ratio('experiment assignment|switchyard assignExperiment', 'experiment assignment|flagd-core fractional')}×`,
);
console.log(
  `growthbook / switchyard: rollout ${ratio('25% rollout|switchyard isEnabled', '25% rollout|growthbook coverage')}×, experiment ${ratio('experiment assignment|switchyard assignExperiment', 'experiment assignment|growthbook experiment')}×`,
);
const worst = Math.max(...[...results.entries()].filter(([k]) => k.includes('switchyard')).map(([, v]) => v));
console.log(`target: median ≤ 200 ns (worst switchyard median ${worst.toFixed(0)} ns) and ≥ 3× faster than flagd-core`);

// Memory per loaded bundle: retained heap of N decision tables (payload included).
function bigPayload(n: number): BundlePayload {
  return demoPayload('production', (p) => {
    for (let i = 0; i < n; i++) {
      p.flags[`flag-${i}`] = {
        name: `flag-${i}`,
        kind: 'Flag',
        seed: `flag-${i}`,
        unit: 'userId',
        percent: 5,
        thresholdPpm: 50_000,
        killed: false,
        stages: [1, 5, 25, 100],
      };
    }
  });
}
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) {
  console.log('\nmemory: run with node --expose-gc to measure');
} else {
  for (const [label, make] of [
    ['demo bundle', () => demoPayload()],
    ['bundle with 1 000 flags', () => bigPayload(1000)],
  ] as const) {
    const N = 200;
    const payloads = Array.from({ length: N }, () => JSON.parse(JSON.stringify(make())) as BundlePayload);
    const bytes = Buffer.byteLength(JSON.stringify(payloads[0]));
    gc();
    const before = process.memoryUsage().heapUsed;
    const held = payloads.map((p, i) => table(p, i + 1));
    gc();
    const after = process.memoryUsage().heapUsed;
    console.log(
      `memory: ${label} (${bytes} bytes of JSON): ${((after - before) / N / 1024).toFixed(1)} KiB retained per decision table (tables only, payload objects counted separately) [${held.length}]`,
    );
    payloads.length = 0;
  }
}
if (sink < 0) console.log(sink);
