import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startModelServer, type ModelServer } from '../../../src/eval/offline/server.ts';
import {
  countChecks,
  countFacts,
  runBackfill,
  storeVerification,
  verifyMigration,
  type BackfillReport,
} from '../../../src/migrate/embeddings/index.ts';
import { estimateTokens, RateLimiter } from '../../../src/migrate/shared/rate-limit.ts';
import { indexDocument, openVectorDatabase, type Embedder, type VectorStore } from '@switchyard/data';
import { createEmbedder } from '../../../src/migrate/embeddings/embedder.ts';
import { FROM, SETTINGS, TO, VERIFY, docId, seedDocuments, testPlan } from './corpus.ts';
import { apiError, startProxy, type Proxy } from './proxy.ts';

const FAST = { baseMs: 1, maxMs: 5 };

describe('backfill runner (PGlite + pgvector, offline model server over the openai SDK)', () => {
  let server: ModelServer;
  let embedder: Embedder;
  let store: VectorStore;
  const N = 230;

  beforeAll(async () => {
    server = await startModelServer();
    embedder = createEmbedder({ baseURL: server.baseUrl, apiKey: 'switchyard-offline' });
    store = await openVectorDatabase({ backend: 'pglite' });
    await seedDocuments(store, N);
    // The old index, as the application built it before the migration.
    const old = await runBackfill({
      store,
      embedder,
      plan: testPlan({ migration: 'build-old', to: FROM }),
      settings: SETTINGS,
    });
    expect(old.status).toBe('complete');
  });
  afterAll(async () => {
    await store?.close();
    await server?.close();
  });

  it('stops on request, then resumes after the last committed batch and finishes with one vector per document', async () => {
    const abort = new AbortController();
    const first = await runBackfill({
      store,
      embedder,
      plan: testPlan(),
      settings: SETTINGS,
      signal: abort.signal,
      onProgress: (p) => {
        if (p.done >= 50) abort.abort(new Error('stop'));
      },
    });
    expect(first.status).toBe('stopped');
    expect(first.checkpoint!.status).toBe('running');
    const committed = first.checkpoint!.embedded;
    expect(committed).toBeGreaterThanOrEqual(50);
    expect(committed).toBeLessThan(N);
    expect(first.checkpoint!.lastDocId).toBe(docId(committed - 1));
    expect(await store.countEmbeddings(TO.index)).toBe(committed);

    const second = await runBackfill({ store, embedder, plan: testPlan(), settings: SETTINGS });
    expect(second.status).toBe('complete');
    expect(second.resumedFrom).toBe(docId(committed - 1));
    expect(second.embedded).toBe(N - committed);
    expect(second.checkpoint).toMatchObject({ status: 'complete', embedded: N, runs: 2 });
    expect(await store.countEmbeddings(TO.index)).toBe(N);

    // A run after completion only reconciles: nothing to do.
    const third = await runBackfill({ store, embedder, plan: testPlan(), settings: SETTINGS });
    expect(third).toMatchObject({ status: 'complete', embedded: 0, reconciled: 0, resumedFrom: null });
  });

  it('reconciles documents the application changed or added without indexing them', async () => {
    const s = `"${store.schema}"`;
    // An app write that crashed between storing the document and indexing it (twice).
    await store.putDocument({ id: docId(3), content: 'changed: how to reset a forgotten password' });
    await store.putDocument({ id: 'zz-added', content: 'brand new article about webhooks' });
    const before = await store.client.query<{ n: string }>(`SELECT count(*) AS n FROM ${s}.documents`);
    const run = await runBackfill({ store, embedder, plan: testPlan(), settings: SETTINGS });
    expect(run).toMatchObject({ status: 'complete', reconciled: 2, embedded: 0 });
    expect(await store.countEmbeddings(TO.index)).toBe(Number(before[0]!.n));
    const report = await verifyMigration({
      store,
      embedder,
      plan: testPlan(),
      settings: VERIFY,
      env: 'default',
      phase: 'backfill',
    });
    expect(report.counts).toMatchObject({ missing: 0, stale: 0 });
  });

  it('verifies counts, dimensions and the top-k overlap, and stores the result', async () => {
    // The old index lacks the two documents reconciled above: fill it like the app's dual-write would.
    await runBackfill({ store, embedder, plan: testPlan({ migration: 'build-old', to: FROM }), settings: SETTINGS });
    const report = await storeVerification(
      store,
      await verifyMigration({ store, embedder, plan: testPlan(), settings: VERIFY, env: 'default', phase: 'backfill' }),
    );
    expect(report.checks.map((c) => [c.name, c.passed])).toEqual([
      ['index', true],
      ['dimension', true],
      ['counts', true],
      ['dead-letters', true],
      ['overlap', true],
    ]);
    expect(report.dimension).toEqual({ expected: 96, catalog: 96, stored: [96, 96] });
    expect(report.overlap!.sampleQueries).toBe(20);
    expect(report.overlap!.average).toBeGreaterThanOrEqual(0.3);
    expect(report.overlap!.selfRecall).toBe(1);
    expect(report.id).toBeGreaterThan(0);
    // A stricter threshold than the models can meet fails the overlap check only.
    const strict = await verifyMigration({
      store,
      embedder,
      plan: testPlan(),
      settings: { ...VERIFY, minOverlap: 1 },
      env: 'default',
      phase: 'backfill',
    });
    expect(strict.checks.find((c) => c.name === 'overlap')!.passed).toBe(report.overlap!.average === 1);
  });

  it('finds missing and stale vectors and a wrong dimension', async () => {
    await store.putDocument({ id: 'zz-unindexed', content: 'nobody embedded this' });
    const v = await store.putDocument({ id: docId(5), content: 'an update the new index has not seen' });
    const report = await verifyMigration({
      store,
      embedder,
      plan: testPlan(),
      settings: VERIFY,
      env: 'default',
      phase: 'dual-read',
    });
    expect(report.passed).toBe(false);
    expect(report.counts).toMatchObject({ missing: 1, missingIds: ['zz-unindexed'], stale: 1, staleIds: [docId(5)] });
    expect(v.version).toBeGreaterThan(0);
    const wrongDim = await verifyMigration({
      store,
      embedder,
      plan: testPlan({ to: { ...TO, dimension: 128 } }),
      settings: VERIFY,
      env: 'default',
      phase: 'dual-read',
    });
    expect(wrongDim.checks.find((c) => c.name === 'dimension')).toMatchObject({ passed: false });
    expect(wrongDim.checks.find((c) => c.name === 'overlap')).toMatchObject({
      passed: false,
      detail: expect.stringContaining('not measured'),
    });
    await runBackfill({ store, embedder, plan: testPlan(), settings: SETTINGS });
  });

  it('a vector whose version is *ahead* of the document is stale too: verify reports it, reconcile replaces it', async () => {
    // What two racing writers left behind before versions were drawn under the row lock: text A at
    // v10, the vector of text B at v11 (review finding 1).
    const table = await store.tableOf(TO.index);
    await store.client.query(`UPDATE ${table} SET version = version + 1000 WHERE doc_id = $1`, [docId(7)]);
    const report = await verifyMigration({
      store,
      embedder,
      plan: testPlan(),
      settings: VERIFY,
      env: 'default',
      phase: 'dual-read',
    });
    expect(report.counts).toMatchObject({ missing: 0, stale: 1, staleIds: [docId(7)] });
    expect(report.checks.find((c) => c.name === 'counts')!.passed).toBe(false);
    const run = await runBackfill({ store, embedder, plan: testPlan(), settings: SETTINGS });
    expect(run).toMatchObject({ status: 'complete', reconciled: 1 });
    const doc = await store.getDocument(docId(7));
    const rows = await store.client.query<{ version: string }>(`SELECT version FROM ${table} WHERE doc_id = $1`, [
      docId(7),
    ]);
    expect(Number(rows[0]!.version)).toBe(doc!.version);
  });
  it('--repair-old (reconcileOnly into from.index) re-embeds only what the old index lacks or holds at another version', async () => {
    // The application's write to the old index failed (E_VECTOR_WRITE after the new one succeeded).
    const doc = await store.putDocument({
      id: docId(9),
      content: 'updated: rotate API keys, the old index missed this',
    });
    await store.upsertEmbeddings(TO.index, [
      {
        id: doc.id,
        version: doc.version,
        embedding: (await embedder.embed(TO.model, TO.dimension, [doc.content]))[0]!,
      },
    ]);
    const oldPlan = { ...testPlan(), to: FROM };
    const before = await countFacts(store, oldPlan);
    expect(before.stale).toBeGreaterThanOrEqual(1);
    expect(before.staleIds).toContain(docId(9));
    const repair = await runBackfill({ store, embedder, plan: oldPlan, settings: SETTINGS, reconcileOnly: true });
    expect(repair).toMatchObject({
      status: 'complete',
      embedded: 0,
      resumedFrom: null,
      reconciled: before.missing + before.stale,
    });
    expect(await countFacts(store, oldPlan)).toMatchObject({ missing: 0, stale: 0 });
    // Its own checkpoint row: the new index's backfill checkpoint is untouched.
    expect(repair.checkpoint).toMatchObject({ status: 'complete', embedded: 0, lastDocId: null });
  });
});

describe('backfill against a failing embeddings API', () => {
  let server: ModelServer;
  let store: VectorStore;
  const proxies: Proxy[] = [];
  /** A proxy that refuses (400) any embeddings request carrying a POISON text while `refuse` is set. */
  const poisonProxy = async (): Promise<{ proxy: Proxy; refuse: boolean }> => {
    const state = { proxy: undefined as unknown as Proxy, refuse: true };
    state.proxy = await startProxy({
      upstream: server.baseUrl,
      intercept: (body) =>
        state.refuse && body.input?.some((t) => t.includes('POISON'))
          ? {
              status: 400,
              body: apiError('input contains forbidden content', 'invalid_request_error', 'invalid_value'),
            }
          : undefined,
    });
    proxies.push(state.proxy);
    return state;
  };
  const run = async (proxy: Proxy, extra: Partial<Parameters<typeof runBackfill>[0]> = {}): Promise<BackfillReport> =>
    runBackfill({
      store,
      embedder: createEmbedder({ baseURL: proxy.baseUrl, apiKey: 'k' }),
      plan: testPlan({ migration: 'flaky' }),
      settings: SETTINGS,
      backoff: FAST,
      ...extra,
    });

  beforeAll(async () => {
    server = await startModelServer();
    store = await openVectorDatabase({ backend: 'pglite' });
    await seedDocuments(store, 100);
  });
  afterAll(async () => {
    await store?.close();
    await Promise.all(proxies.map((p) => p.close()));
    await server?.close();
  });

  it('retries 429s and 5xx with backoff, honouring Retry-After, then completes', async () => {
    const proxy = await startProxy({
      upstream: server.baseUrl,
      intercept: (_body, n) =>
        n === 1
          ? {
              status: 429,
              headers: { 'retry-after-ms': '20' },
              body: apiError('slow down', 'requests', 'rate_limit_exceeded'),
            }
          : n === 2
            ? { status: 503, body: apiError('overloaded', 'server_error', 'overloaded') }
            : undefined,
    });
    proxies.push(proxy);
    const report = await run(proxy);
    expect(report).toMatchObject({ status: 'complete', retries: 2, embedded: 100, deadLetters: 0 });
  });

  it('stops (resumable) when retries run out, keeping what was committed', async () => {
    await store.dropIndex(TO.index);
    await store.client.query(`DELETE FROM "${store.schema}".migration_checkpoints`);
    let calls = 0;
    const proxy = await startProxy({
      upstream: server.baseUrl,
      intercept: () =>
        ++calls > 2 ? { status: 500, body: apiError('down', 'server_error', 'server_error') } : undefined,
    });
    proxies.push(proxy);
    const report = await run(proxy, { settings: { ...SETTINGS, concurrency: 1 } });
    expect(report.status).toBe('failed');
    expect(report.error!.code).toBe('E_EMBED_SERVER');
    expect(report.error!.message).toContain('after 3 retries');
    expect(report.checkpoint).toMatchObject({ status: 'running', embedded: 50, lastDocId: docId(49) });
    expect(await store.countEmbeddings(TO.index)).toBe(50);
  });

  it('isolates documents the API refuses into the dead-letter table; --retry-dead-letters picks them up later', async () => {
    await store.putDocument({ id: docId(60), content: 'POISON one' });
    await store.putDocument({ id: docId(77), content: 'POISON two' });
    const poison = await poisonProxy();
    const proxy = poison.proxy;
    const report = await run(proxy);
    expect(report).toMatchObject({ status: 'complete', deadLettered: 2, deadLetters: 2 });
    expect(await store.countEmbeddings(TO.index)).toBe(98);
    const rows = await store.client.query<{ doc_id: string; code: string; attempts: number }>(
      `SELECT doc_id, code, attempts FROM "${store.schema}".migration_dead_letters ORDER BY doc_id`,
    );
    expect(rows).toEqual([
      { doc_id: docId(60), code: 'E_EMBED_REQUEST', attempts: 1 },
      { doc_id: docId(77), code: 'E_EMBED_REQUEST', attempts: 1 },
    ]);
    // Running again does not hammer the API with the same refused documents.
    const again = await run(proxy);
    expect(again).toMatchObject({ status: 'complete', reconciled: 0, deadLettered: 0, deadLetters: 2 });
    // Dead letters count for the counts check, and fail the dead-letter limit.
    const verify = await verifyMigration({
      store,
      embedder: createEmbedder({ baseURL: server.baseUrl, apiKey: 'k' }),
      plan: testPlan({ migration: 'flaky' }),
      settings: VERIFY,
      env: 'default',
      phase: 'backfill',
    });
    expect(verify.checks.find((c) => c.name === 'counts')!.passed).toBe(true);
    expect(verify.checks.find((c) => c.name === 'dead-letters')!.passed).toBe(false);
    poison.refuse = false;
    const retried = await run(proxy, { retryDeadLetters: true });
    expect(retried).toMatchObject({ status: 'complete', reconciled: 2, deadLetters: 0 });
    expect(await store.countEmbeddings(TO.index)).toBe(100);
  });

  it('a dead letter stops counting once the document has a current vector, is cleared by the next run, and verify.maxDeadLetters is honoured', async () => {
    const plan = testPlan({ migration: 'flaky' });
    const facts = () => countFacts(store, plan);
    await store.putDocument({ id: docId(20), content: 'POISON three' });
    await store.putDocument({ id: docId(21), content: 'POISON four' });
    const poison = await poisonProxy();
    const proxy = poison.proxy;
    expect(await run(proxy)).toMatchObject({ status: 'complete', deadLettered: 2, deadLetters: 2 });
    // Two dead letters are within a limit of 2: both checks pass (the limit is what decides).
    expect(countChecks(await facts(), { ...VERIFY, maxDeadLetters: 2 }).map((c) => [c.name, c.passed])).toEqual([
      ['counts', true],
      ['dead-letters', true],
    ]);
    expect(countChecks(await facts(), { ...VERIFY, maxDeadLetters: 1 }).map((c) => [c.name, c.passed])).toEqual([
      ['counts', true],
      ['dead-letters', false],
    ]);
    // The application (dual-writing) changes one of them and indexes it fine: that dead letter explains nothing any more.
    poison.refuse = false;
    const appEmbedder = createEmbedder({ baseURL: server.baseUrl, apiKey: 'k' });
    await indexDocument(
      store,
      appEmbedder,
      { phase: 'backfill', write: [TO], read: [FROM] },
      { id: docId(20), content: 'POISON three, fixed' },
    );
    expect(await facts()).toMatchObject({ deadLetters: 1, missing: 0, stale: 0 });
    expect(countChecks(await facts(), { ...VERIFY, maxDeadLetters: 1 }).every((c) => c.passed)).toBe(true);
    // The next run deletes the resolved row (and reconciles nothing: the application's vector is current).
    poison.refuse = true;
    const again = await run(proxy);
    expect(again).toMatchObject({ status: 'complete', reconciled: 0, deadLetters: 1 });
    const rows = await store.client.query<{ doc_id: string }>(
      `SELECT doc_id FROM "${store.schema}".migration_dead_letters WHERE migration = 'flaky' ORDER BY doc_id`,
    );
    expect(rows.map((r) => r.doc_id)).toEqual([docId(21)]);
    poison.refuse = false;
    expect(await run(proxy, { retryDeadLetters: true })).toMatchObject({
      status: 'complete',
      reconciled: 1,
      deadLetters: 0,
    });
    expect(await facts()).toMatchObject({ deadLetters: 0, missing: 0, stale: 0 });
  });

  it("paces by tokens: a batch above the per-minute budget goes as several requests that fit, and the API's usage corrects the schedule", async () => {
    await store.dropIndex(TO.index);
    await store.client.query(`DELETE FROM "${store.schema}".migration_checkpoints`);
    const sizes: number[] = [];
    const proxy = await startProxy({
      upstream: server.baseUrl,
      intercept: (body) => {
        sizes.push(estimateTokens(body.input ?? []));
        return undefined;
      },
    });
    proxies.push(proxy);
    // A fake clock that sleeping advances: the pacing is computed, not waited for.
    let now = 0;
    const budget = 120;
    const limiter = new RateLimiter({ tokensPerMinute: budget, now: () => now, sleep: async (ms) => void (now += ms) });
    const settled: Array<[number, number]> = [];
    const settle = limiter.settle.bind(limiter);
    limiter.settle = (estimated, actual) => {
      settled.push([estimated, actual]);
      settle(estimated, actual);
    };
    // One request at a time, so reservations and corrections alternate and the clock is exact.
    const report = await run(proxy, { limiter, settings: { ...SETTINGS, concurrency: 1, tokensPerMinute: budget } });
    expect(report.status).toBe('complete');
    const documents = await store.countDocuments();
    expect(report.embedded + report.reconciled).toBe(documents);
    // Batches of 25 documents (~40 tokens each) are far above 120 tokens: never sent whole.
    expect(Math.max(...sizes)).toBeLessThanOrEqual(budget);
    expect(sizes.length).toBeGreaterThan(documents / 25);
    // Every request's estimate was corrected with the usage the (offline) API reported.
    expect(settled).toHaveLength(sizes.length);
    expect(settled.every(([, actual]) => actual > 0)).toBe(true);
    // The schedule followed the reported tokens (the offline server counts about one per word, not
    // characters/4): each request started when the tokens *reported* so far were paid for, at 500 ms per token.
    const reported = settled.reduce((sum, [, actual]) => sum + actual, 0);
    const estimated = settled.reduce((sum, [estimate]) => sum + estimate, 0);
    expect(reported).not.toBe(estimated);
    expect(now).toBe((reported - settled.at(-1)![1]) * (60_000 / budget));
  });

  it('stops at once when the plan is wrong (the API does not know the model)', async () => {
    const report = await runBackfill({
      store,
      embedder: createEmbedder({ baseURL: server.baseUrl, apiKey: 'k' }),
      plan: testPlan({
        migration: 'wrong-model',
        to: { model: 'text-embedding-4-imaginary', dimension: 8, index: 'docs-imaginary' },
      }),
      settings: SETTINGS,
      backoff: FAST,
    });
    expect(report.status).toBe('failed');
    expect(report.error!.code).toBe('E_EMBED_REQUEST');
    expect(report.deadLetters).toBe(0);
  });
});
