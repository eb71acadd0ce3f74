/**
 * One phase of `bench:migrate -- --conversations` on one backend, in a process of its own so its
 * peak RSS is the phase's own: `seed` writes N v1 conversation records, `dry`/`full`/`second` run
 * the real runner (`runConversationMigration`, the demo plan rollouts/conversation-schema-v2.yaml)
 * and `check` verifies the result. Prints one JSON line.
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadProject } from '../../src/config/index.ts';
import { openConversationRepository } from '@switchyard/data';
import { runConversationMigration, selectConversationMigration } from '../../src/migrate/conversations/index.ts';
import { openPgClient } from '@switchyard/data';
import { openPgliteClient } from '@switchyard/data';
import { quoteIdent, type SqlClient } from '@switchyard/data';

const { values } = parseArgs({
  options: {
    backend: { type: 'string' },
    phase: { type: 'string' },
    records: { type: 'string', default: '100000' },
    'batch-size': { type: 'string' },
    'data-dir': { type: 'string' },
    'database-url': { type: 'string' },
    schema: { type: 'string' },
  },
});
const backend = values.backend as 'pglite' | 'postgres';
const phase = values.phase as 'seed' | 'dry' | 'full' | 'second' | 'check';
const schema = values.schema!;

const ROLES = ['user', 'assistant'] as const;
const TOPICS = [
  'reset my password',
  'download last month’s invoice',
  'set up single sign-on',
  'export the dashboard to CSV',
  'add a teammate',
  'turn on two-factor authentication',
  'change the billing address',
  'connect Slack',
];

/** A v1 record as the old app stored it: 4–12 messages, `created`, and now and then fields no code knows. */
function legacyRecord(i: number): Record<string, unknown> {
  const n = 4 + ((i * 7919) % 9); // 4..12, spread deterministically
  const topic = TOPICS[i % TOPICS.length]!;
  const messages = Array.from({ length: n }, (_, k) => {
    const role = ROLES[k % 2]!;
    const m: Record<string, unknown> = {
      role,
      content:
        role === 'user'
          ? `Hi, how do I ${topic}? (follow-up ${k / 2}) — ünïcode ✓`
          : `To ${topic}, open Settings → ${['Account', 'Billing', 'Security', 'Integrations'][k % 4]} and follow step ${k}. Let me know if that works.`,
    };
    if (role === 'assistant' && i % 4 === 0) m.tokens = { prompt: 40 + k, completion: 60 + 2 * k };
    if (role === 'user' && i % 11 === 0 && k === 0) m.attachments = [{ kind: 'image', meta: { w: 640, h: 480 } }];
    return m;
  });
  const rec: Record<string, unknown> = {
    id: `c-${String(i).padStart(7, '0')}`,
    userId: `user-${i % 4999}`,
    created: new Date(Date.UTC(2024, 0, 1) + i * 37_000).toISOString(),
    messages,
  };
  if (i % 3 === 0) rec.schemaVersion = 1; // some v1 records say their version, some do not
  if (i % 5 === 0) rec.extra = { tags: ['beta', `cohort-${i % 13}`], nested: { deep: { value: i } } }; // unknown to every schema
  if (i % 17 === 0) rec.locale = ['de-DE', 'fr-FR', 'en-GB'][i % 3];
  return rec;
}

async function open(): Promise<SqlClient> {
  return backend === 'pglite'
    ? openPgliteClient(values['data-dir']!)
    : openPgClient({ connectionString: values['database-url']!, max: 2 });
}

const client = await open();
try {
  const started = performance.now();
  if (phase === 'seed') {
    const records = Number(values.records);
    const repo = await openConversationRepository(client, { schema });
    for (let start = 0; start < records; start += 5000) {
      await repo.importRecords(
        Array.from({ length: Math.min(5000, records - start) }, (_, k) => legacyRecord(start + k)),
      );
    }
    const size = await client.query<{ b: string; msgs: string }>(
      `SELECT pg_total_relation_size('${quoteIdent(schema)}.conversations') AS b, sum(jsonb_array_length(record->'messages')) AS msgs FROM ${quoteIdent(schema)}.conversations`,
    );
    out({
      seedMs: performance.now() - started,
      tableBytes: Number(size[0]?.b ?? 0),
      messages: Number(size[0]?.msgs ?? 0),
    });
  } else if (phase === 'check') {
    const s = quoteIdent(schema);
    const rows = await client.query<{ v: number | null; n: string }>(
      `SELECT (record->>'schemaVersion')::int AS v, count(*) AS n FROM ${s}.conversations GROUP BY 1 ORDER BY 1`,
    );
    const kept = await client.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${s}.conversations WHERE record->'extra'->'nested'->'deep' ? 'value'`,
    );
    const noTimestamp = await client.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${s}.conversations c, jsonb_array_elements(c.record->'messages') m WHERE NOT (m ? 'timestamp' AND m ? 'model')`,
    );
    out({
      byVersion: Object.fromEntries(rows.map((r) => [String(r.v), Number(r.n)])),
      extraKept: Number(kept[0]?.n),
      messagesWithoutStamp: Number(noTimestamp[0]?.n),
    });
  } else {
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const loaded = await loadProject(root);
    if (!loaded.value) throw new Error('the repository project does not load');
    const plan = selectConversationMigration(loaded.value, 'conversation-schema-v2');
    if (!plan.ok) throw new Error(`${plan.code} ${plan.message}`);
    let batches = -1; // the runner reports once before the first batch, then after each batch
    const report = await runConversationMigration(client, {
      migration: plan.migration,
      schema,
      dryRun: phase === 'dry',
      batchSize: values['batch-size'] ? Number(values['batch-size']) : undefined,
      // The run's single-runner lock: on PostgreSQL on a connection of its own (PGlite: its client).
      lock: backend === 'postgres' ? { connectionString: values['database-url']! } : undefined,
      onProgress: (p) => {
        if (!p.done) batches++;
      },
    });
    out({
      wallMs: performance.now() - started,
      runnerMs: report.durationMs,
      scanned: report.counters.scanned,
      upgraded: report.counters.upgraded,
      failed: report.counters.failed,
      remaining: report.remaining,
      complete: report.complete,
      batches,
      batchSize: report.batchSize,
    });
  }
} finally {
  await client.close();
}

function out(figures: Record<string, unknown>): void {
  process.stdout.write(
    `${JSON.stringify({ backend, phase, ...figures, peakRssMb: process.resourceUsage().maxRSS / 1024 })}\n`,
  );
}
