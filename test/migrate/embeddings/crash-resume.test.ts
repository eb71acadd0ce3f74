/**
 * The backfill is killed mid-batch with SIGKILL — a real child process running the real CLI while
 * an embeddings request is in flight — and resumed, while the test keeps writing documents through
 * the runtime's route (dual-write). Afterwards the target holds exactly one current vector per
 * document, and every document the test wrote is in both indexes.
 *
 * Store: the machine's PostgreSQL (real[]). Two processes must share it with real isolation: PGlite
 * is single-process, and its socket server runs every connection on one session (a transaction of
 * the child would see the parent's statements), whereas PostgreSQL gives each its own backend and
 * aborts the killed child's open transaction as a real server does.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startModelServer, type ModelServer } from '../../../src/eval/offline/server.ts';
import { runBackfill } from '../../../src/migrate/embeddings/index.ts';
import { createEmbedder, indexDocument, openVectorDatabase, removeDocument, type Embedder, type EmbeddingRoute, type VectorStore } from '../../../src/vectors/index.ts';
import { PG_URL, dropSchema, uniqueSchema } from '../../store/fixtures.ts';
import { FROM, SETTINGS, docId, seedDocuments, testPlan } from './corpus.ts';
import { MIGRATION, runtimeRoute, writeProject } from './project.ts';
import { startProxy, type Proxy } from './proxy.ts';

const BIN = fileURLToPath(new URL('../../../bin/switchyard.mjs', import.meta.url));
const N = 1500;

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function runCli(args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; exit: Promise<Exit> } {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<Exit>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, exit };
}

describe('crash and resume of the embedding backfill (real child process, SIGKILL mid-batch)', () => {
  const schema = uniqueSchema('crash');
  let root: string;
  let server: ModelServer;
  let proxy: Proxy;
  let embedder: Embedder;
  let store: VectorStore;
  let route: EmbeddingRoute;
  // The simulated application's write loop (stopped in afterAll too, should the test fail early).
  let writing = false;
  let app: Promise<void> = Promise.resolve();

  beforeAll(async () => {
    root = writeProject({ batchSize: 50, concurrency: 2 });
    route = await runtimeRoute(root, 'staging');
    server = await startModelServer();
    embedder = createEmbedder({ baseURL: server.baseUrl, apiKey: 'switchyard-offline' });
    // A slow embeddings endpoint for the child, which counts the requests in flight.
    proxy = await startProxy({ upstream: server.baseUrl, delayMs: 120 });
    store = await openVectorDatabase({ backend: 'postgres', connectionString: PG_URL, schema });
    await seedDocuments(store, N);
    // The old index as the application built it before the migration.
    expect((await runBackfill({ store, embedder, plan: testPlan({ migration: 'build-old', to: FROM }), settings: { ...SETTINGS, batchSize: 500 } })).status).toBe('complete');
  });
  afterAll(async () => {
    writing = false;
    await app.catch(() => {});
    await store?.close();
    await proxy?.close();
    await server?.close();
    await dropSchema(schema);
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('ends with exactly one current vector per document, none missing, none duplicated, and the test\'s writes in both stores', async () => {
    expect(route).toMatchObject({ phase: 'backfill', write: [{ index: 'docs-small' }, { index: 'docs-large' }], read: [{ index: 'docs-small' }] });
    const s = `"${schema}"`;
    const env = { SWITCHYARD_STORE_SCHEMA: schema, SWITCHYARD_DATABASE_URL: '', OPENAI_API_KEY: '' };
    const args = ['migrate', 'embeddings', MIGRATION, '--env', 'staging', '--root', root, '--database-url', PG_URL, '--base-url', proxy.baseUrl, '--quiet', '--format', 'json'];

    // The application keeps writing through the runtime's route while the backfill runs.
    const written = new Map<string, string>(); // id → content the app wrote last
    const deleted = new Set<string>();
    let op = 0;
    writing = true;
    app = (async () => {
      while (writing) {
        const k = op++;
        const kind = k % 4;
        if (kind === 0) {
          // A new document, at ids all over the keyspace (behind and ahead of the backfill's cursor).
          const id = `${docId((k * 37) % N)}-new-${k}`;
          const content = `new article ${k} about exporting invoices and rotating keys`;
          await indexDocument(store, embedder, route, { id, content });
          written.set(id, content);
          deleted.delete(id);
        } else if (kind === 1 || kind === 2) {
          const id = docId((k * 53) % N);
          if (deleted.has(id)) continue;
          const content = `updated ${k}: ${id} now explains single sign-on`;
          await indexDocument(store, embedder, route, { id, content });
          written.set(id, content);
        } else {
          const id = docId((k * 71 + 13) % N);
          await removeDocument(store, route, id);
          deleted.add(id);
          written.delete(id);
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    })();

    // Run 1: killed with SIGKILL once the checkpoint shows progress and a request is in flight.
    const first = runCli(args, env);
    let killedAt: { batches: number; embedded: number; lastDocId: string } | undefined;
    let inFlightAtKill = 0;
    const pollStart = Date.now();
    while (!killedAt && Date.now() - pollStart < 45_000) {
      const rows = await store.client
        .query<{ batches: string; embedded: string; last_doc_id: string }>(`SELECT batches, embedded, last_doc_id FROM ${s}.migration_checkpoints WHERE migration = $1`, [MIGRATION])
        .catch(() => []);
      const row = rows[0];
      const outstanding = proxy.inFlight;
      if (row && Number(row.batches) >= 5 && outstanding > 0) {
        inFlightAtKill = outstanding;
        first.child.kill('SIGKILL');
        killedAt = { batches: Number(row.batches), embedded: Number(row.embedded), lastDocId: row.last_doc_id };
        break;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    const killed = await first.exit;
    expect(killed.signal).toBe('SIGKILL');
    expect(killedAt).toBeDefined();
    expect(inFlightAtKill).toBeGreaterThan(0);

    const afterKill = (await store.client.query<Record<string, string>>(`SELECT * FROM ${s}.migration_checkpoints WHERE migration = $1`, [MIGRATION]))[0]!;
    expect(afterKill.status).toBe('running');
    // The checkpoint moved only with committed batches: it is at or past what we saw, and mid-corpus.
    expect(Number(afterKill.batches)).toBeGreaterThanOrEqual(killedAt!.batches);
    expect(afterKill.last_doc_id! < docId(N - 1)).toBe(true);
    // Nothing before the checkpoint was skipped: every document up to it has a current vector.
    const gaps = await store.client.query(
      `SELECT d.id FROM ${s}.documents d LEFT JOIN ${s}.emb_docs_large e ON e.doc_id = d.id WHERE d.id <= $1 AND (e.doc_id IS NULL OR e.version <> d.version)`,
      [afterKill.last_doc_id],
    );
    expect(gaps).toEqual([]);

    // Run 2: resumes from the checkpoint (the app is still writing) and completes.
    await new Promise((r) => setTimeout(r, 200));
    const second = await runCli(args, env).exit;
    writing = false;
    await app;
    expect(second.stderr).toBe('');
    expect(second.code).toBe(0);
    const report = JSON.parse(second.stdout) as { status: string; resumedFrom: string; embedded: number; checkpoint: { embedded: number; runs: number; status: string } };
    expect(report.status).toBe('complete');
    expect(report.resumedFrom).toBe(afterKill.last_doc_id);
    // The killed, uncommitted batch was not counted: the total is what run 1 committed plus run 2.
    expect(report.checkpoint).toMatchObject({ status: 'complete', runs: 2, embedded: Number(afterKill.embedded) + report.embedded });

    // Final state: exactly one current vector per document in the new index.
    const docs = await store.countDocuments();
    const check = (
      await store.client.query<{ vectors: string; distinct_ids: string; missing: string; stale: string; orphans: string }>(
        `SELECT (SELECT count(*) FROM ${s}.emb_docs_large) AS vectors,
                (SELECT count(DISTINCT doc_id) FROM ${s}.emb_docs_large) AS distinct_ids,
                (SELECT count(*) FROM ${s}.documents d LEFT JOIN ${s}.emb_docs_large e ON e.doc_id = d.id WHERE e.doc_id IS NULL) AS missing,
                (SELECT count(*) FROM ${s}.documents d JOIN ${s}.emb_docs_large e ON e.doc_id = d.id WHERE e.version <> d.version) AS stale,
                (SELECT count(*) FROM ${s}.emb_docs_large e LEFT JOIN ${s}.documents d ON d.id = e.doc_id WHERE d.id IS NULL) AS orphans`,
      )
    )[0]!;
    expect({ vectors: Number(check.vectors), distinct: Number(check.distinct_ids), missing: Number(check.missing), stale: Number(check.stale), orphans: Number(check.orphans) }).toEqual({
      vectors: docs,
      distinct: docs,
      missing: 0,
      stale: 0,
      orphans: 0,
    });

    // Every document the test wrote is in both stores at its current version; deleted ones in neither.
    expect(written.size).toBeGreaterThan(10);
    expect(deleted.size).toBeGreaterThan(3);
    for (const [id, content] of written) {
      const doc = await store.getDocument(id);
      expect(doc?.content).toBe(content);
      for (const table of ['emb_docs_small', 'emb_docs_large']) {
        const rows = await store.client.query<{ version: string }>(`SELECT version FROM ${s}.${table} WHERE doc_id = $1`, [id]);
        expect(rows.map((r) => Number(r.version)), `${id} in ${table}`).toEqual([doc!.version]);
      }
    }
    for (const id of deleted) {
      if (written.has(id)) continue;
      expect(await store.getDocument(id)).toBeUndefined();
      for (const table of ['emb_docs_small', 'emb_docs_large']) {
        expect(await store.client.query(`SELECT 1 FROM ${s}.${table} WHERE doc_id = $1`, [id]), `${id} gone from ${table}`).toEqual([]);
      }
    }
  });
});
