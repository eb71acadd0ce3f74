/**
 * One backend's run of bench:migrate (a separate process, so its peak RSS is its own): seeds the
 * documents table, then runs the real backfill runner — openai SDK → offline model server →
 * upserts with checkpoints — and prints one JSON line of figures.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runBackfill } from '../../src/migrate/embeddings/index.ts';
import { openVectorDatabase, type VectorStore } from '@switchyard/data';
import { createEmbedder } from '../../src/migrate/embeddings/embedder.ts';

const { values } = parseArgs({
  options: {
    backend: { type: 'string' },
    docs: { type: 'string' },
    dimension: { type: 'string' },
    'batch-size': { type: 'string' },
    concurrency: { type: 'string' },
    'base-url': { type: 'string' },
    'database-url': { type: 'string' },
  },
});
const docs = Number(values.docs);
const dimension = Number(values.dimension);
const batchSize = Number(values['batch-size']);
const concurrency = Number(values.concurrency);
const backend = values.backend as 'pglite' | 'postgres';

const TOPICS = [
  'reset a password',
  'download an invoice',
  'configure single sign-on',
  'export analytics to CSV',
  'invite teammates',
  'two-factor authentication',
  'billing address and VAT',
  'Slack integration',
  'delete a workspace',
  'rotate API keys',
];
const text = (i: number) =>
  `Article ${i}: how to ${TOPICS[i % TOPICS.length]} — step ${1 + (i % 7)} for the ${['admin', 'owner', 'member'][i % 3]} role, revision ${Math.floor(i / 10)}. See also related settings and troubleshooting notes.`;

const schema = `sy_bench_migrate_${process.pid}`;
const dir = backend === 'pglite' ? mkdtempSync(join(tmpdir(), 'sy-bench-migrate-')) : undefined;
const store: VectorStore = await openVectorDatabase(
  backend === 'pglite'
    ? { backend, dataDir: dir }
    : { backend, connectionString: values['database-url']!, schema, poolSize: concurrency + 1 },
);
try {
  const s = `"${store.schema}"`;
  const seedStart = performance.now();
  for (let start = 0; start < docs; start += 5000) {
    const ids: string[] = [];
    const contents: string[] = [];
    for (let i = start; i < Math.min(docs, start + 5000); i++) {
      ids.push(`doc-${String(i).padStart(7, '0')}`);
      contents.push(text(i));
    }
    await store.client.query(
      `INSERT INTO ${s}.documents (id, content, version) SELECT id, content, nextval('${s}.document_version') FROM unnest($1::text[], $2::text[]) AS t(id, content)`,
      [ids, contents],
    );
  }
  const seedMs = performance.now() - seedStart;
  const embedder = createEmbedder({ baseURL: values['base-url']!, apiKey: 'switchyard-offline' });
  const plan = {
    kind: 'EmbeddingMigration' as const,
    migration: 'bench',
    from: { model: 'text-embedding-3-small', dimension: 1536, index: 'docs-small' },
    to: { model: 'text-embedding-3-large', dimension, index: 'docs-large' },
    phase: 'backfill' as const,
    backfill: { batchSize, concurrency },
  };
  const started = performance.now();
  const report = await runBackfill({
    store,
    embedder,
    plan,
    settings: { batchSize, concurrency, requestsPerMinute: undefined, tokensPerMinute: undefined, maxRetries: 3 },
    // The runner's single-runner lock: on PostgreSQL on a connection of its own (PGlite: its client).
    lock: backend === 'postgres' ? { connectionString: values['database-url']! } : undefined,
  });
  const wallMs = performance.now() - started;
  if (report.status !== 'complete') throw new Error(`backfill ${report.status}: ${report.error?.message}`);
  const vectors = await store.countEmbeddings('docs-large');
  if (vectors !== docs) throw new Error(`expected ${docs} vectors, found ${vectors}`);
  // Exact top-10 search on the new index (pgvector `<#>`, or the SQL dot product over real[]).
  const queries = await embedder.embed(
    'text-embedding-3-large',
    dimension,
    TOPICS.map((t) => `how do I ${t}`),
  );
  await store.search('docs-large', queries[0]!, 10);
  const searchStart = performance.now();
  for (const q of queries) await store.search('docs-large', q, 10);
  const searchMs = (performance.now() - searchStart) / queries.length;
  const size = await store.client.query<{ b: string }>(`SELECT pg_total_relation_size('${s}.emb_docs_large') AS b`);
  process.stdout.write(
    `${JSON.stringify({
      backend,
      vectorType: store.vectorType,
      docs,
      dimension,
      batchSize,
      concurrency,
      seedMs,
      wallMs,
      docsPerSec: docs / (wallMs / 1000),
      batches: report.batches,
      requests: report.requests,
      retries: report.retries,
      indexBytes: Number(size[0]?.b ?? 0),
      searchMs,
      peakRssMb: process.resourceUsage().maxRSS / 1024,
    })}\n`,
  );
} finally {
  if (backend === 'postgres') await store.client.exec(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => {});
  await store.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
}
