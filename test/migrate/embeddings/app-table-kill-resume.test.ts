/**
 * Embedding migration on the application's own table through the real CLI, killed with SIGKILL
 * while an embeddings request is in flight and resumed — on PostgreSQL (`real[]` old vectors,
 * `jsonb` new ones: this machine's server has no pgvector) and on PGlite on disk (`--data-dir`,
 * pgvector `vector(n)` columns). Run 1 is killed with committed batches and a request held; a row
 * behind its checkpoint is changed; run 2 resumes and embeds exactly the rows after the checkpoint
 * plus the changed one, each once; `--verify`, `--status` and `--advance` then pass.
 * Timing as in crash-resume.test.ts: the proxy answers a fixed number of requests and holds the
 * rest, so the kill always finds committed batches and a request in flight, however slow the
 * machine is.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cosine, openVectorDatabase, type Embedder, type SqlClient, type VectorStore } from '@switchyard/data';
import { startModelServer, type ModelServer } from '../../../src/eval/offline/server.ts';
import { createEmbedder } from '../../../src/migrate/embeddings/embedder.ts';
import { PG_URL, dropSchema, uniqueSchema } from '../../../packages/data/test/store/fixtures.ts';
import { needs } from '../../helpers/capabilities.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import {
  ARRAYS,
  PGVECTOR,
  articleId,
  createKbTable,
  fillOldVectors,
  newVectors,
  type VectorColumns,
} from './app-table-fixture.ts';
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

/** What differs between the two databases; the scenario below is the same. */
interface Backend {
  /** Column types of the application's vector columns. */
  types: VectorColumns;
  /** The application's schema. */
  app: string;
  /** Switchyard's schema (checkpoints). */
  schema: string;
  /** `--concurrency` of the runs. */
  concurrency: number;
  /** CLI options and environment that select the database. */
  args: string[];
  env: NodeJS.ProcessEnv;
  /** Runs `fn` on the database; PGlite: opened for `fn` only, since the CLI needs it alone. */
  use<T>(fn: (sql: SqlClient) => Promise<T>): Promise<T>;
  /** Whether the test can read the database while the CLI runs. */
  readsWhileRunning: boolean;
  /** Waits until nothing of the killed run (`pid`, started with `env`) can still change the database. */
  killedRunGone(pid: number): Promise<void>;
  close(): Promise<void>;
}

async function postgresBackend(): Promise<Backend> {
  const schema = uniqueSchema('appemb');
  const app = uniqueSchema('kb');
  const appName = `app-run-${schema}`;
  const store: VectorStore = await openVectorDatabase({ backend: 'postgres', connectionString: PG_URL, schema });
  return {
    types: ARRAYS,
    app,
    schema,
    // Two requests in flight: batches must still commit in order.
    concurrency: 2,
    args: ['--database-url', PG_URL],
    env: { SWITCHYARD_STORE_SCHEMA: schema, SWITCHYARD_DATABASE_URL: '', PGAPPNAME: appName },
    use: (fn) => fn(store.client),
    readsWhileRunning: true,
    async killedRunGone() {
      // A COMMIT sent just before the kill still runs on its backend: wait for the sessions to end.
      await waitFor("the killed run's sessions to end with its process", async () => {
        const live = await store.client.query<{ n: string }>(
          `SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1`,
          [appName],
        );
        return Number(live[0]!.n) === 0;
      });
    },
    async close() {
      await store.close();
      await dropSchema(schema);
      await dropSchema(app);
    },
  };
}

async function pgliteBackend(): Promise<Backend> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sy-emb-pglite-'));
  const schema = 'switchyard';
  return {
    types: PGVECTOR,
    app: 'kb',
    schema,
    // One request at a time: the pipeline sends batch k+1's request only after batch k committed
    // (src/migrate/embeddings/backfill/pipeline.ts), so "the proxy holds a request" means "every
    // answered batch has committed" — the test cannot look into the database the CLI holds.
    concurrency: 1,
    args: ['--data-dir', dataDir],
    env: { SWITCHYARD_STORE_SCHEMA: schema, SWITCHYARD_DATABASE_URL: '' },
    async use(fn) {
      const store = await openVectorDatabase({ backend: 'pglite', dataDir, schema });
      try {
        return await fn(store.client);
      } finally {
        await store.close();
      }
    },
    readsWhileRunning: false,
    killedRunGone(pid) {
      // PGlite runs inside the killed process, so nothing of it outlives the exit; what it leaves is
      // its directory lock, naming the dead process, which the next opener takes over
      // (packages/data/src/store/dir-lock.ts).
      expect(readFileSync(join(dataDir, 'switchyard-store.lock'), 'utf8')).toBe(String(pid));
      return Promise.resolve();
    },
    close() {
      rmSync(dataDir, { recursive: true, force: true });
      return Promise.resolve();
    },
  };
}

function killAndResume(title: string, open: () => Promise<Backend>, skip = false): void {
  describe.skipIf(skip)(title, () => {
    let db: Backend;
    let root: string;
    let server: ModelServer;
    let proxy: Proxy;
    let embedder: Embedder;
    /** Texts of every embeddings request the proxy receives. */
    const sent: string[] = [];

    beforeAll(async () => {
      server = await startModelServer();
      embedder = createEmbedder({ baseURL: server.baseUrl, apiKey: 'switchyard-offline' });
      proxy = await startProxy({
        upstream: server.baseUrl,
        holdAfter: ANSWERED_IN_RUN_1,
        intercept: (body) => {
          sent.push(...(body.input ?? []));
          return undefined;
        },
      });
      db = await open();
      await db.use(async (sql) => {
        await createKbTable(sql, db.app, N, db.types);
        await fillOldVectors(sql, db.app, embedder, db.types);
      });
      root = writeProject({
        batchSize: BATCH,
        concurrency: db.concurrency,
        extra: `storage:
  table: ${db.app}.kb_articles
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
      await proxy?.close();
      await server?.close();
      await db?.close();
      if (root) rmSync(root, { recursive: true, force: true });
    });

    it('resumes after the last committed batch, re-embeds the row changed behind it, and verifies', async () => {
      const { app } = db;
      const args = [
        'migrate',
        'embeddings',
        MIGRATION,
        '--env',
        'staging',
        '--root',
        root,
        ...db.args,
        '--base-url',
        proxy.baseUrl,
        '--quiet',
        '--format',
        'json',
      ];
      const env = { ...db.env, OPENAI_API_KEY: '' };
      const checkpoint = (sql: SqlClient) =>
        sql
          .query<{ batches: string; embedded: string; last_doc_id: string; status: string }>(
            `SELECT batches::text, embedded::text, last_doc_id, status FROM "${db.schema}".migration_checkpoints WHERE migration = $1`,
            [MIGRATION],
          )
          .then((rows) => rows[0]);

      // Run 1: every answered batch commits (in order); the next request is held; then SIGKILL.
      const first = runCli(args, env);
      await waitFor(
        'run 1 to commit its answered batches with a request held',
        async () => {
          if (first.child.exitCode !== null)
            throw new Error(`run 1 ended before the kill: ${(await first.exit).stderr}`);
          if (proxy.held === 0) return false;
          if (!db.readsWhileRunning) return true;
          const row = await db.use(checkpoint).catch(() => undefined);
          return row !== undefined && Number(row.batches) >= ANSWERED_IN_RUN_1;
        },
        90_000,
      );
      first.child.kill('SIGKILL');
      const killed = await first.exit;
      expect(killed.signal, killed.stdout + killed.stderr).toBe('SIGKILL');
      await db.killedRunGone(first.child.pid!);

      const committed = ANSWERED_IN_RUN_1 * BATCH;
      const changed = articleId(3);
      await db.use(async (sql) => {
        expect(await checkpoint(sql)).toMatchObject({
          status: 'running',
          batches: String(ANSWERED_IN_RUN_1),
          embedded: String(committed),
          last_doc_id: articleId(committed - 1),
        });
        // Every row up to the checkpoint has its new vector, none after it.
        expect([...(await newVectors(sql, app)).keys()]).toEqual(
          Array.from({ length: committed }, (_, i) => articleId(i)),
        );
        // The application changes a row the backfill already embedded.
        await sql.query(
          `UPDATE ${app}.kb_articles SET body = 'changed: rotating API keys', modified = clock_timestamp() WHERE article_id = $1`,
          [changed],
        );
      });

      // Run 2: every request answered; the texts it sends are recorded.
      proxy.setHoldAfter(Infinity);
      sent.length = 0;
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

      const rows = await db.use((sql) =>
        sql.query<{ article_id: string; body: string }>(
          `SELECT article_id, body FROM ${app}.kb_articles ORDER BY article_id`,
        ),
      );
      // Run 2 embedded exactly the rows after the checkpoint and the changed row, each once.
      const idOf = new Map(rows.map((r) => [r.body, r.article_id]));
      expect(sent.map((t) => idOf.get(t)).sort()).toEqual(
        [changed, ...rows.slice(committed).map((r) => r.article_id)].sort(),
      );
      const expected = await embedder.embed(
        TO.model,
        TO.dimension,
        rows.map((r) => r.body),
      );
      const stored = await db.use((sql) => newVectors(sql, app));
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
      expect(verify.dimension).toEqual({
        expected: TO.dimension,
        stored: [TO.dimension, TO.dimension],
        // A vector(n) column declares its dimension in the catalog; jsonb does not.
        ...(db.types.new.startsWith('vector') ? { catalog: TO.dimension } : {}),
      });

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
      expect(
        await db.use((sql) => sql.query<{ n: string }>(`SELECT count(emb_old)::text AS n FROM ${app}.kb_articles`)),
      ).toEqual([{ n: String(N) }]);
    }, 240_000);
  });
}

killAndResume(
  postgres.title("embedding migration on the application's table (PostgreSQL, SIGKILL mid-batch)"),
  postgresBackend,
  postgres.skip,
);
killAndResume("embedding migration on the application's table (PGlite on disk, SIGKILL mid-batch)", pgliteBackend);
