/**
 * Analysis time over 10 million events, on PostgreSQL (127.0.0.1:5432, db `test`) and on PGlite.
 * Events are generated server-side (INSERT … SELECT generate_series) so loading is not what is
 * measured. Prints figures; asserts nothing.
 *
 *   npm run bench:analysis                         # both backends, 10,000,000 events
 *   npm run bench:analysis -- --events 1000000 --backend pglite
 *   SWITCHYARD_BENCH_DATABASE_URL=postgres://… npm run bench:analysis
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { analyzeExperiment, loadExperimentEvidence } from '../../src/analysis/index.ts';
import type { Experiment } from '../../src/config/types.ts';
import { openStore, type EventStore } from '@switchyard/data';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '10000000' },
    backend: { type: 'string', default: 'both' },
    runs: { type: 'string', default: '3' },
  },
});
const EVENTS = Number(values.events);
const RUNS = Number(values.runs);
// One exposure per unit, nine metric observations per unit: 10% exposures, 90% metrics.
const UNITS = Math.round(EVENTS / 10);
const METRICS = EVENTS - UNITS;
const PG_URL = process.env.SWITCHYARD_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const experiment: Experiment = {
  experiment: 'bench-exp',
  status: 'running',
  prompt: 'summarization',
  unit: 'userId',
  traffic: 100,
  variants: { control: { version: 1, weight: 50 }, treatment: { version: 2, weight: 50 } },
  metrics: { primary: 'satisfaction', guardrails: ['latency_ms'] },
  minSamples: 1000,
};

async function generate(store: EventStore): Promise<number> {
  const s = `"${store.schema}"`;
  const t0 = Date.UTC(2026, 0, 1);
  const started = performance.now();
  await store.client.query('SELECT setseed(0.42)');
  await store.client.query(
    `INSERT INTO ${s}.exposures (source, seq, time_ms, serial, env, subject, key, variant, unit_key)
     SELECT 'bench', g, ${t0} + g * 10, 1, 'production', 'experiment', 'bench-exp',
            CASE WHEN g % 2 = 0 THEN 'control' ELSE 'treatment' END, 'u' || g
     FROM generate_series(1, ${UNITS}) AS g`,
  );
  // ~N(4 + 0.02·treatment, 1) via the sum of three uniforms; a 0.5% lift the test should find at this size.
  await store.client.query(
    `INSERT INTO ${s}.metrics (source, seq, time_ms, serial, env, subject, key, variant, unit_key, metric, value)
     SELECT 'bench', g, ${t0} + g, 1, 'production', 'experiment', 'bench-exp',
            CASE WHEN (g % ${UNITS}) % 2 = 0 THEN 'control' ELSE 'treatment' END, 'u' || (g % ${UNITS} + 1),
            'satisfaction', 4 + CASE WHEN (g % ${UNITS}) % 2 = 0 THEN 0 ELSE 0.02 END + (random() + random() + random() - 1.5) * 2
     FROM generate_series(1, ${METRICS}) AS g`,
  );
  await store.client.exec(`ANALYZE ${s}.exposures; ANALYZE ${s}.metrics;`);
  return performance.now() - started;
}

async function timeAnalysis(store: EventStore) {
  const times: number[] = [];
  let decision = '';
  let units = 0;
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    const evidence = await loadExperimentEvidence(store.queries, experiment);
    const analysis = analyzeExperiment(experiment, evidence);
    times.push(performance.now() - started);
    decision = `${analysis.decision}${analysis.winner ? ` (${analysis.winner})` : ''}`;
    units = analysis.variants.reduce((a, v) => a + v.exposed, 0);
  }
  return { times, decision, units };
}

async function bench(label: string, open: () => Promise<EventStore>, cleanup: (store: EventStore) => Promise<void>) {
  const store = await open();
  try {
    const loadMs = await generate(store);
    const counts = await store.queries.counts();
    const rows = counts.exposures + counts.metrics;
    const { times, decision, units } = await timeAnalysis(store);
    const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    console.log(
      `${label.padEnd(10)} ${rows.toLocaleString('en-US')} events (${units.toLocaleString('en-US')} units) · generate+index ${fmt(loadMs)} · ` +
        `analyze experiment: first ${fmt(times[0]!)}, best of ${RUNS} ${fmt(Math.min(...times))} · decision: ${decision}`,
    );
  } finally {
    await cleanup(store);
  }
}

console.log(`bench:analysis — ${EVENTS.toLocaleString('en-US')} events, node ${process.version}`);
if (values.backend === 'both' || values.backend === 'postgres') {
  const schema = `sy_bench_${process.pid}`;
  await bench(
    'postgres',
    () => openStore({ backend: 'postgres', connectionString: PG_URL, schema }),
    async (store) => {
      await store.client.exec(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await store.close();
    },
  );
}
if (values.backend === 'both' || values.backend === 'pglite') {
  const dir = mkdtempSync(join(tmpdir(), 'sy-bench-'));
  await bench(
    'pglite',
    () => openStore({ backend: 'pglite', dataDir: join(dir, 'events') }),
    async (store) => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  );
}
