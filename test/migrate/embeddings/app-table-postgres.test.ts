/**
 * Embedding migration on the application's own table on PostgreSQL (`real[]` old vectors, `jsonb`
 * new ones — this machine's server has no pgvector), through the real CLI: run 1 is killed with
 * SIGKILL while an embeddings request is in flight, a row behind its checkpoint is changed, run 2
 * resumes and does exactly the rows after the checkpoint plus the changed one, and --verify passes.
 * Timing as in crash-resume.test.ts: the proxy answers a fixed number of requests and holds the
 * rest, so the kill always finds committed batches and a request in flight.
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cosine, openVectorDatabase, type Embedder, type VectorStore } from '@switchyard/data';
import { startModelServer, type ModelServer } from '../../../src/eval/offline/server.ts';
import { createEmbedder } from '../../../src/migrate/embeddings/embedder.ts';
import { PG_URL, dropSchema, uniqueSchema } from '../../../packages/data/test/store/fixtures.ts';
import { needs } from '../../helpers/capabilities.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { ARRAYS, articleId, createKbTable, fillOldVectors, newVectors } from './app-table-fixture.ts';
import { TO } from './corpus.ts';
import { MIGRATION, writeProject } from './project.ts';
import { startProxy, type Proxy } from './proxy.ts';

const postgres = await needs('postgres');

const BIN = fileURLToPath(new URL('../../../bin/switchyard.mjs', import.meta.url));
const N = 400;
const BATCH = 20;
const ANSWERED_IN_RUN_1 = 6;

function runCli(args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>(
    (resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, exit };
}

describe.skipIf(postgres.skip)(
  postgres.title("embedding migration on the application's table (PostgreSQL, SIGKILL mid-batch)"),
  () => {
    const schema = uniqueSchema('appemb');
    const app = uniqueSchema('kb');
    let root: string;
    let server: ModelServer;
    let proxy: Proxy;
    let embedder: Embedder;
    let store: VectorStore;

    beforeAll(async () => {
      server = await startModelServer();
      embedder = createEmbedder({ baseURL: server.baseUrl, apiKey: 'switchyard-offline' });
      proxy = await startProxy({ upstream: server.baseUrl, holdAfter: ANSWERED_IN_RUN_1 });
      store = await openVectorDatabase({ backend: 'postgres', connectionString: PG_URL, schema });
      await createKbTable(store.client, app, N, ARRAYS);
      await fillOldVectors(store.client, app, embedder, ARRAYS);
      root = writeProject({
        batchSize: BATCH,
        concurrency: 2,
        extra: `storage:
  table: ${app}.kb_articles
  key: article_id
  text: body
  updatedAt: modified
  from:
    column: emb_old
  to:
    column: emb_new
`,
      });
    }, 120_000);
    afterAll(async () => {
      await store?.close();
      await proxy?.close();
      await server?.close();
      await dropSchema(schema);
      await dropSchema(app);
      if (root) rmSync(root, { recursive: true, force: true });
    });

    it('resumes after the last committed batch, re-embeds the row changed behind it, and verifies', async () => {
      const s = `"${schema}"`;
      const env = { SWITCHYARD_STORE_SCHEMA: schema, SWITCHYARD_DATABASE_URL: '', OPENAI_API_KEY: '' };
      const args = [
        'migrate',
        'embeddings',
        MIGRATION,
        '--env',
        'staging',
        '--root',
        root,
        '--database-url',
        PG_URL,
        '--base-url',
        proxy.baseUrl,
        '--quiet',
        '--format',
        'json',
      ];
      const checkpoint = async () =>
        (
          await store.client.query<{ batches: string; embedded: string; last_doc_id: string; status: string }>(
            `SELECT batches, embedded, last_doc_id, status FROM ${s}.migration_checkpoints WHERE migration = $1`,
            [MIGRATION],
          )
        )[0];

      // Run 1: every answered batch commits (in order); the next request is held; then SIGKILL.
      const run1Name = `app-run1-${schema}`;
      const first = runCli(args, { ...env, PGAPPNAME: run1Name });
      await waitFor(
        'run 1 to commit its answered batches with a request held',
        async () => {
          const row = await checkpoint().catch(() => undefined);
          return row !== undefined && Number(row.batches) >= ANSWERED_IN_RUN_1 && proxy.held > 0;
        },
        90_000,
      );
      first.child.kill('SIGKILL');
      const killed = await first.exit;
      expect(killed.signal, killed.stdout + killed.stderr).toBe('SIGKILL');
      // The killed run's sessions must be gone before the checkpoint is final (a COMMIT sent just
      // before the kill still runs on its backend).
      await waitFor("run 1's sessions to end with its process", async () => {
        const live = await store.client.query<{ n: string }>(
          `SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1`,
          [run1Name],
        );
        return Number(live[0]!.n) === 0;
      });
      const afterKill = (await checkpoint())!;
      const committed = ANSWERED_IN_RUN_1 * BATCH;
      expect(afterKill).toMatchObject({
        status: 'running',
        batches: String(ANSWERED_IN_RUN_1),
        embedded: String(committed),
        last_doc_id: articleId(committed - 1),
      });
      expect([...(await newVectors(store.client, app)).keys()]).toEqual(
        Array.from({ length: committed }, (_, i) => articleId(i)),
      );

      // The application changes a row the backfill already embedded.
      const changed = articleId(3);
      await store.client.query(
        `UPDATE ${app}.kb_articles SET body = 'changed: rotating API keys', modified = clock_timestamp() WHERE article_id = $1`,
        [changed],
      );

      // Run 2: every request answered; the inputs it sends are recorded.
      proxy.setHoldAfter(Infinity);
      const second = await runCli(args, env).exit;
      expect(second.code, second.stderr).toBe(0);
      const report = JSON.parse(second.stdout) as Record<string, unknown>;
      expect(report).toMatchObject({
        status: 'complete',
        resumedFrom: articleId(committed - 1),
        embedded: N - committed,
        reconciled: 1,
        reconciledIds: [changed],
        checkpoint: { status: 'complete', embedded: N, reconciled: 1, runs: 2 },
      });

      const rows = await store.client.query<{ article_id: string; body: string }>(
        `SELECT article_id, body FROM ${app}.kb_articles ORDER BY article_id`,
      );
      const expected = await embedder.embed(
        TO.model,
        TO.dimension,
        rows.map((r) => r.body),
      );
      const stored = await newVectors(store.client, app);
      expect(stored.size).toBe(N);
      rows.forEach((r, i) => expect(cosine(stored.get(r.article_id)!, expected[i]!)).toBeGreaterThan(0.999));

      const verified = await runCli([...args, '--verify'], env).exit;
      expect(verified.code, verified.stdout + verified.stderr).toBe(0);
      const verify = JSON.parse(verified.stdout) as {
        passed: boolean;
        counts: Record<string, number>;
        dimension: unknown;
      };
      expect(verify.passed).toBe(true);
      expect(verify.counts).toMatchObject({ documents: N, current: N, missing: 0, stale: 0 });
      expect(verify.dimension).toEqual({ expected: TO.dimension, stored: [TO.dimension, TO.dimension] });

      const status = await runCli([...args, '--status'], env).exit;
      expect(status.code, status.stderr).toBe(0);
      expect(JSON.parse(status.stdout)).toMatchObject({
        documents: N,
        outstandingDeadLetters: 0,
        applicationTable: { table: `${app}.kb_articles`, current: N, missing: 0, stale: 0 },
      });
      // The passed verification lets the phase advance one step (an edit of the plan to commit).
      const advanced = await runCli([...args, '--advance'], env).exit;
      expect(advanced.code, advanced.stdout + advanced.stderr).toBe(0);
      expect(JSON.parse(advanced.stdout)).toMatchObject({ from: 'backfill', to: 'dual-read' });

      // The old column, what a rollback reads, is untouched.
      expect((await store.client.query(`SELECT count(emb_old) AS n FROM ${app}.kb_articles`))[0]).toEqual({
        n: String(N),
      });
    }, 180_000);
  },
);
