/**
 * The backfill is killed mid-batch with SIGKILL — a real child process running the real CLI while
 * an embeddings request is in flight — and resumed, while the test keeps writing documents through
 * the runtime's route (dual-write). Run 2 must do exactly the work after the checkpoint (the proxy
 * records which documents it embeds), and afterwards the target holds exactly one current vector
 * per document, and every document the test wrote is in both indexes.
 *
 * Timing: the proxy answers a fixed number of run 1's requests and holds the rest, so the kill
 * always finds committed batches and a request in flight, whatever the machine's load.
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
import { takeRunLock } from '../../../src/migrate/shared/run-lock.ts';
import {
  indexDocument,
  openVectorDatabase,
  removeDocument,
  type Embedder,
  type EmbeddingRoute,
  type VectorStore,
} from '@switchyard/data';
import { createEmbedder } from '../../../src/migrate/embeddings/embedder.ts';
import { PG_URL, dropSchema, uniqueSchema } from '../../../packages/data/test/store/fixtures.ts';
import { FROM, SETTINGS, docId, seedDocuments, testPlan } from './corpus.ts';
import { MIGRATION, runtimeRoute, writeProject } from './project.ts';
import { startProxy, type Proxy } from './proxy.ts';
import { needs } from '../../helpers/capabilities.ts';
import { pace, waitFor } from '../../helpers/wait-for.ts';

const postgres = await needs('postgres');

const BIN = fileURLToPath(new URL('../../../bin/switchyard.mjs', import.meta.url));
const N = 1500;

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function runCli(args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; exit: Promise<Exit> } {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<Exit>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, exit };
}

/** The document id an embeddings input belongs to (every text this test writes names its document). */
function idOfText(text: string): string {
  const seeded = /^Article (\d+):/.exec(text);
  if (seeded) return docId(Number(seeded[1]));
  const named = /^(?:updated \d+: (\S+) now|new article \d+ \((\S+)\))/.exec(text);
  if (named) return (named[1] ?? named[2])!;
  throw new Error(`an embeddings input this test did not write: ${text.slice(0, 60)}`);
}

/** Transient failures of the simulated application (a pool connection timing out under load) are retried, as an application would. */
async function withRetry<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (attempt >= 5) throw error;
      await pace(50 * attempt);
    }
  }
}

/**
 * Holds the simulated application between two operations: `pause()` resolves once no operation is
 * in flight (at once when the loop is not running), `resume()` lets it go on.
 */
function appGate(): { pause(): Promise<void>; resume(): void; between(): Promise<void> } {
  let held: { released: Promise<void>; release(): void } | undefined;
  let reached: (() => void) | undefined;
  let idle = true;
  return {
    pause() {
      if (!held) {
        let release!: () => void;
        const released = new Promise<void>((r) => (release = r));
        held = { released, release };
      }
      return idle ? Promise.resolve() : new Promise<void>((r) => (reached = r));
    },
    resume() {
      held?.release();
      held = undefined;
    },
    async between() {
      idle = true;
      reached?.();
      reached = undefined;
      if (held) await held.released;
      idle = false;
    },
  };
}

describe.skipIf(postgres.skip)(
  postgres.title('crash and resume of the embedding backfill (real child process, SIGKILL mid-batch)'),
  () => {
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
    // Pausing the app between two operations: a look at the committed state must not race the one
    // operation in flight — a document stored but not yet indexed would count as a gap, and a delete
    // that commits just after a snapshot of the documents would look like a document run 2 skipped.
    const gate = appGate();
    // Ids in every embeddings request the child sends while `recording` (run 2).
    let recording = false;
    const run2Inputs = new Set<string>();
    // Requests the proxy answers before it holds the rest: run 1 commits at most this many batches,
    // then sits with requests in flight until it is killed — no race with a fast or a slow machine.
    const ANSWERED_IN_RUN_1 = 8;

    beforeAll(async () => {
      root = writeProject({ batchSize: 50, concurrency: 2 });
      route = await runtimeRoute(root, 'staging');
      server = await startModelServer();
      embedder = createEmbedder({ baseURL: server.baseUrl, apiKey: 'switchyard-offline' });
      // The child's embeddings endpoint: slow (120 ms), counting requests in flight, recording inputs.
      proxy = await startProxy({
        upstream: server.baseUrl,
        delayMs: 120,
        holdAfter: ANSWERED_IN_RUN_1,
        intercept: (body) => {
          if (recording) for (const text of body.input ?? []) run2Inputs.add(idOfText(text));
          return undefined;
        },
      });
      store = await openVectorDatabase({ backend: 'postgres', connectionString: PG_URL, schema });
      await seedDocuments(store, N);
      // The old index as the application built it before the migration.
      expect(
        (
          await runBackfill({
            store,
            embedder,
            plan: testPlan({ migration: 'build-old', to: FROM }),
            settings: { ...SETTINGS, batchSize: 500 },
            lock: { connectionString: PG_URL },
          })
        ).status,
      ).toBe('complete');
    }, 120_000);
    afterAll(async () => {
      writing = false;
      gate.resume();
      await app.catch(() => {});
      await store?.close();
      await proxy?.close();
      await server?.close();
      await dropSchema(schema);
      if (root) rmSync(root, { recursive: true, force: true });
    });

    it("ends with exactly one current vector per document, none missing, run 2 doing exactly the work after the checkpoint, and the test's writes in both stores", async () => {
      expect(route).toMatchObject({
        phase: 'backfill',
        write: [{ index: 'docs-small' }, { index: 'docs-large' }],
        read: [{ index: 'docs-small' }],
      });
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

      // The application keeps writing through the runtime's route while the backfill runs.
      const written = new Map<string, string>(); // id → content the app wrote last
      const deleted = new Set<string>();
      // What the app did while run 2 ran (from just before run 2's starting point was measured).
      const run2: { ops?: { written: Set<string>; inserted: Set<string>; deleted: Set<string> } } = {};
      let op = 0;
      writing = true;
      app = (async () => {
        while (writing) {
          await gate.between();
          if (!writing) break;
          const k = op++;
          const kind = k % 4;
          if (kind === 0) {
            // A new document, at ids all over the keyspace (behind and ahead of the backfill's cursor).
            const id = `${docId((k * 37) % N)}-new-${k}`;
            const content = `new article ${k} (${id}) about exporting invoices and rotating keys`;
            run2.ops?.written.add(id);
            run2.ops?.inserted.add(id);
            await withRetry(() => indexDocument(store, embedder, route, { id, content }));
            written.set(id, content);
            deleted.delete(id);
          } else if (kind === 1 || kind === 2) {
            const id = docId((k * 53) % N);
            if (deleted.has(id)) continue;
            const content = `updated ${k}: ${id} now explains single sign-on`;
            run2.ops?.written.add(id);
            await withRetry(() => indexDocument(store, embedder, route, { id, content }));
            written.set(id, content);
          } else {
            const id = docId((k * 71 + 13) % N);
            run2.ops?.deleted.add(id);
            await withRetry(() => removeDocument(store, route, id));
            deleted.add(id);
            written.delete(id);
          }
          await pace(5); // the application's write rate
        }
      })();

      // Run 1: the proxy answers ANSWERED_IN_RUN_1 requests, then holds the next ones: once the
      // checkpoint shows ≥ 5 committed batches and a request is in flight, SIGKILL.
      // Run 1's pool connections carry a name of their own (node-postgres reads PGAPPNAME), so the
      // test can wait until the server has ended every one of them.
      const run1Name = `crash-run1-${schema}`;
      const first = runCli(args, { ...env, PGAPPNAME: run1Name });
      let killedAt: { batches: number; embedded: number; lastDocId: string } | undefined;
      let inFlightAtKill = 0;
      await waitFor(
        'run 1 to commit 5 batches with requests in flight',
        async () => {
          const rows = await store.client
            .query<{ batches: string; embedded: string; last_doc_id: string }>(
              `SELECT batches, embedded, last_doc_id FROM ${s}.migration_checkpoints WHERE migration = $1`,
              [MIGRATION],
            )
            .catch(() => []);
          const row = rows[0];
          const outstanding = proxy.inFlight;
          if (!row || Number(row.batches) < 5 || outstanding === 0) return false;
          inFlightAtKill = outstanding;
          first.child.kill('SIGKILL');
          killedAt = { batches: Number(row.batches), embedded: Number(row.embedded), lastDocId: row.last_doc_id };
          return true;
        },
        90_000,
      );
      const killed = await first.exit;
      expect(killed.signal, `run 1 was not killed: ${killed.stdout}${killed.stderr}`).toBe('SIGKILL');
      expect(killedAt).toBeDefined();
      expect(inFlightAtKill).toBeGreaterThan(0);

      // A statement the child sent just before the kill (a batch's COMMIT, say) is still executed by
      // its server backend: read the checkpoint only once the server has ended run 1's sessions. The
      // killed run's lock goes with its own connection, released once the server sees it closed (a
      // resume must not be refused with E_MIGRATE_RUNNING for long).
      await waitFor("run 1's sessions to end with its process", async () => {
        const live = await store.client.query<{ n: string }>(
          `SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1`,
          [run1Name],
        );
        return Number(live[0]!.n) === 0;
      });
      const lockTarget = { kind: 'embeddings' as const, schema, migration: `${MIGRATION}:docs-large` };
      await waitFor('the run lock to be free', async () => {
        try {
          await (await takeRunLock(store.client, { connectionString: PG_URL }, lockTarget))?.release();
          return true;
        } catch (error) {
          if ((error as { code?: string }).code !== 'E_MIGRATE_RUNNING') throw error;
          return false;
        }
      });

      const afterKill = (
        await store.client.query<Record<string, string>>(
          `SELECT * FROM ${s}.migration_checkpoints WHERE migration = $1`,
          [MIGRATION],
        )
      )[0]!;
      expect(afterKill.status).toBe('running');
      // The checkpoint moved only with committed batches: at or past what we saw, at most the answered requests, mid-corpus.
      expect(Number(afterKill.batches)).toBeGreaterThanOrEqual(killedAt!.batches);
      expect(Number(afterKill.batches)).toBeLessThanOrEqual(ANSWERED_IN_RUN_1);
      const checkpoint = afterKill.last_doc_id!;
      expect(checkpoint < docId(N - 1)).toBe(true);
      // Nothing before the checkpoint was skipped: every document up to it has a current vector
      // (checked between two application writes).
      await gate.pause();
      const gaps = await store.client.query(
        `SELECT d.id FROM ${s}.documents d LEFT JOIN ${s}.emb_docs_large e ON e.doc_id = d.id WHERE d.id <= $1 AND (e.doc_id IS NULL OR e.version <> d.version)`,
        [checkpoint],
      );
      expect(gaps).toEqual([]);
      gate.resume();

      // Run 2: resumes from the checkpoint while the app keeps writing, and completes. What it must
      // cover is measured with the app paused, so that no operation straddles the snapshot.
      await gate.pause();
      run2.ops = { written: new Set(), inserted: new Set(), deleted: new Set() };
      const afterCheckpoint = (
        await store.client.query<{ id: string }>(`SELECT id FROM ${s}.documents WHERE id > $1`, [checkpoint])
      ).map((r) => r.id);
      gate.resume();
      proxy.setHoldAfter(Infinity);
      recording = true;
      const second = await runCli(args, env).exit;
      recording = false;
      writing = false;
      gate.resume();
      await app;
      const ops = run2.ops;
      expect(second.code, second.stderr).toBe(0);
      const report = JSON.parse(second.stdout) as {
        status: string;
        resumedFrom: string;
        embedded: number;
        skipped: number;
        reconciled: number;
        reconciledIds: string[];
        deadLettered: number;
        checkpoint: { embedded: number; runs: number; status: string };
      };
      expect(report.status).toBe('complete');
      expect(report.resumedFrom).toBe(checkpoint);
      expect(report.deadLettered).toBe(0);
      // The killed, uncommitted batch was not counted: the total is what run 1 committed plus run 2.
      expect(report.checkpoint).toMatchObject({
        status: 'complete',
        runs: 2,
        embedded: Number(afterKill.embedded) + report.embedded,
      });

      // Run 2's work is what a keyset resume implies — neither a restart nor a skipped range:
      // - every document after the checkpoint that the app did not delete meanwhile went through the API…
      const mustCover = afterCheckpoint.filter((id) => !ops.deleted.has(id));
      expect(mustCover.filter((id) => !run2Inputs.has(id))).toEqual([]);
      // - …by the keyset pass, not by reconcile: the reconcile pass may only have caught documents the
      //   app itself was writing (between storing the text and indexing it) — a skipped range would
      //   show up here as reconciled seeded documents;
      expect(report.reconciledIds).toHaveLength(report.reconciled);
      expect(report.reconciledIds.filter((id) => !ops.written.has(id))).toEqual([]);
      // - nothing at or before the checkpoint was embedded again, except such reconciled documents (a restart would).
      const behind = [...run2Inputs].filter((id) => id <= checkpoint);
      expect(behind.filter((id) => !report.reconciledIds.includes(id))).toEqual([]);
      // - the keyset pass visited (embedded or skipped as superseded) exactly the documents after the
      //   checkpoint, give or take what the app inserted or deleted there during the run.
      const insertedAhead = [...ops.inserted].filter((id) => id > checkpoint).length;
      expect(report.embedded + report.skipped).toBeGreaterThanOrEqual(mustCover.length);
      expect(report.embedded + report.skipped).toBeLessThanOrEqual(afterCheckpoint.length + insertedAhead);

      // Final state: exactly one current vector per document in the new index. (`distinct` equals
      // `vectors` by the table's primary key; it is asserted so that losing that key would show here.)
      const docs = await store.countDocuments();
      const check = (
        await store.client.query<{
          vectors: string;
          distinct_ids: string;
          missing: string;
          stale: string;
          orphans: string;
        }>(
          `SELECT (SELECT count(*) FROM ${s}.emb_docs_large) AS vectors,
                (SELECT count(DISTINCT doc_id) FROM ${s}.emb_docs_large) AS distinct_ids,
                (SELECT count(*) FROM ${s}.documents d LEFT JOIN ${s}.emb_docs_large e ON e.doc_id = d.id WHERE e.doc_id IS NULL) AS missing,
                (SELECT count(*) FROM ${s}.documents d JOIN ${s}.emb_docs_large e ON e.doc_id = d.id WHERE e.version <> d.version) AS stale,
                (SELECT count(*) FROM ${s}.emb_docs_large e LEFT JOIN ${s}.documents d ON d.id = e.doc_id WHERE d.id IS NULL) AS orphans`,
        )
      )[0]!;
      expect({
        vectors: Number(check.vectors),
        distinct: Number(check.distinct_ids),
        missing: Number(check.missing),
        stale: Number(check.stale),
        orphans: Number(check.orphans),
      }).toEqual({
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
          const rows = await store.client.query<{ version: string }>(
            `SELECT version FROM ${s}.${table} WHERE doc_id = $1`,
            [id],
          );
          expect(
            rows.map((r) => Number(r.version)),
            `${id} in ${table}`,
          ).toEqual([doc!.version]);
        }
      }
      for (const id of deleted) {
        if (written.has(id)) continue;
        expect(await store.getDocument(id)).toBeUndefined();
        for (const table of ['emb_docs_small', 'emb_docs_large']) {
          expect(
            await store.client.query(`SELECT 1 FROM ${s}.${table} WHERE doc_id = $1`, [id]),
            `${id} gone from ${table}`,
          ).toEqual([]);
        }
      }
    }, 180_000);
  },
);
