/**
 * Embedding migrations on the application's own table (a plan's `storage:`), on PGlite with
 * pgvector columns: backfill, a run abandoned mid-batch and resumed (no row missed or counted
 * twice), rows changed during and after the backfill re-embedded, verify, and coded refusals of
 * bad identifiers and missing or mistyped columns. A real SIGKILL of the CLI, on PostgreSQL
 * (real[]/jsonb columns) and on PGlite on disk, is in app-table-kill-resume.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openVectorDatabase, cosine, type Embedder, type VectorStore } from '@switchyard/data';
import { startModelServer, type ModelServer } from '../../../src/eval/offline/server.ts';
import { createEmbedder, EmbeddingError } from '../../../src/migrate/embeddings/embedder.ts';
import { cleanupOldIndex, countFacts, runBackfill, verifyMigration } from '../../../src/migrate/embeddings/index.ts';
import { rmSync } from 'node:fs';
import { loadProject } from '../../../src/config/index.ts';
import { SETTINGS, TO, VERIFY } from './corpus.ts';
import { MIGRATION, runtimeRoute, writeProject } from './project.ts';
import { PGVECTOR, articleId, createKbTable, fillOldVectors, kbPlan, newVectors } from './app-table-fixture.ts';
import { waitFor } from '../../helpers/wait-for.ts';

const N = 120;
const APP = 'app';
const BATCH = { ...SETTINGS, batchSize: 10, concurrency: 2 };

/** The real embedder, with a gate: requests after `answer` are held until `fail()` rejects them. */
function gatedEmbedder(inner: Embedder, onTexts?: (texts: readonly string[]) => Promise<void>) {
  let answer = Infinity;
  let count = 0;
  const held: Array<(error: Error) => void> = [];
  const embedder: Embedder = {
    baseURL: inner.baseURL,
    embed: (model, dimension, texts) => inner.embed(model, dimension, texts),
    async embedWithUsage(model, dimension, texts, options) {
      if (++count > answer) {
        await new Promise<never>((_, reject) => held.push(reject));
      }
      const result = await inner.embedWithUsage(model, dimension, texts, options);
      await onTexts?.(texts);
      return result;
    },
  };
  return {
    embedder,
    hold(after: number) {
      answer = after;
      count = 0;
    },
    get held() {
      return held.length;
    },
    /** The abandoned run's requests fail (a failure that stops a run: nothing more commits). */
    fail() {
      answer = Infinity;
      for (const reject of held.splice(0))
        reject(Object.assign(new Error('connection reset'), { code: 'E_EMBED_NETWORK', retryable: false }));
    },
  };
}

describe('embedding migration on the application table (PGlite, pgvector columns)', () => {
  let server: ModelServer;
  let inner: Embedder;
  let store: VectorStore;

  beforeAll(async () => {
    server = await startModelServer();
    inner = createEmbedder({ baseURL: server.baseUrl, apiKey: 'switchyard-offline' });
    store = await openVectorDatabase({ backend: 'pglite' });
    await createKbTable(store.client, APP, N, PGVECTOR);
    await fillOldVectors(store.client, APP, inner, PGVECTOR);
  });
  afterAll(async () => {
    await store?.close();
    await server?.close();
  });

  it('resumes an abandoned run after its last committed batch, re-embeds rows changed during and after the backfill, and verifies', async () => {
    const plan = kbPlan(APP);
    const s = `"${store.schema}"`;
    // Rows the "application" rewrites between the runner's read and its write (the race the
    // conditional write must lose), the first time their text is embedded.
    const raced = new Set([articleId(95)]);
    const gate = gatedEmbedder(inner, async (texts) => {
      for (const id of [...raced]) {
        const row = (
          await store.client.query<{ body: string }>(`SELECT body FROM app.kb_articles WHERE article_id = $1`, [id])
        )[0]!;
        if (texts.includes(row.body)) {
          raced.delete(id);
          await store.client.query(
            `UPDATE app.kb_articles SET body = $2, modified = clock_timestamp() WHERE article_id = $1`,
            [id, `rewritten while embedded: ${id} covers SAML single sign-on`],
          );
        }
      }
    });

    // Run 1: four requests are answered, the next ones hang; once the four answered batches have
    // committed and a request is held, the run is abandoned (as a killed process: its batch in flight
    // never commits). Batches commit in order, so nothing after the held request can commit.
    gate.hold(4);
    const run1 = runBackfill({ store, embedder: gate.embedder, plan, settings: BATCH, lock: false });
    await waitFor('run 1 to reach 4 committed batches with a request held', async () => {
      const row = (
        await store.client.query<{ batches: string }>(
          `SELECT batches FROM ${s}.migration_checkpoints WHERE migration = $1`,
          [plan.migration],
        )
      )[0];
      return row !== undefined && Number(row.batches) >= 4 && gate.held > 0;
    });
    const checkpoint = (
      await store.client.query<{ last_doc_id: string; embedded: string; batches: string }>(
        `SELECT last_doc_id, embedded, batches FROM ${s}.migration_checkpoints WHERE migration = $1`,
        [plan.migration],
      )
    )[0]!;
    const committed = Number(checkpoint.embedded);
    expect(checkpoint.last_doc_id).toBe(articleId(committed - 1));
    // Every row up to the checkpoint has its new vector, none after it.
    const stored = await newVectors(store.client, APP);
    expect([...stored.keys()]).toEqual(Array.from({ length: committed }, (_, i) => articleId(i)));

    // The application changes a row the backfill has already embedded, and one it has not reached.
    const changed = { early: articleId(2), late: articleId(100) };
    for (const id of Object.values(changed))
      await store.client.query(
        `UPDATE app.kb_articles SET body = $2, modified = clock_timestamp() WHERE article_id = $1`,
        [id, `changed: ${id} now explains invoices`],
      );

    gate.fail();
    const abandoned = await run1;
    expect(abandoned.status).toBe('failed');
    expect(
      Number(
        (
          await store.client.query<{ n: string }>(
            `SELECT embedded AS n FROM ${s}.migration_checkpoints WHERE migration = $1`,
            [plan.migration],
          )
        )[0]!.n,
      ),
      'nothing committed after the abandonment',
    ).toBe(committed);

    // Run 2 resumes after the checkpoint: it embeds exactly the rows after it, then reconciles the
    // row changed behind the cursor and the row changed between read and write.
    const run2Texts: string[] = [];
    const recording: Embedder = {
      ...gate.embedder,
      embedWithUsage: (model, dimension, texts, options) => {
        run2Texts.push(...texts);
        return gate.embedder.embedWithUsage(model, dimension, texts, options);
      },
    };
    const run2 = await runBackfill({ store, embedder: recording, plan, settings: BATCH, lock: false });
    expect(run2.status, JSON.stringify(run2.error)).toBe('complete');
    expect(run2.resumedFrom).toBe(articleId(committed - 1));
    expect(run2.skipped).toBe(1); // the raced row: its text changed under the request
    expect(run2.embedded).toBe(N - committed - 1);
    expect(run2.reconciledIds.sort()).toEqual([changed.early, articleId(95)].sort());
    expect(run2.checkpoint).toMatchObject({ status: 'complete', embedded: N - 1, reconciled: 2, skipped: 1, runs: 2 });
    // Nothing before the checkpoint was embedded again except the row changed there.
    const bodies = new Map(
      (
        await store.client.query<{ article_id: string; body: string }>(`SELECT article_id, body FROM app.kb_articles`)
      ).map((r) => [r.body, r.article_id]),
    );
    const run2Ids = new Set(run2Texts.map((t) => bodies.get(t)));
    for (let i = 0; i < committed; i++) expect(run2Ids.has(articleId(i))).toBe(articleId(i) === changed.early);

    // Every row holds the new model's vector of its *current* text.
    const rows = await store.client.query<{ article_id: string; body: string }>(
      `SELECT article_id, body FROM app.kb_articles ORDER BY article_id`,
    );
    const expected = await inner.embed(
      TO.model,
      TO.dimension,
      rows.map((r) => r.body),
    );
    const vectors = await newVectors(store.client, APP);
    expect(vectors.size).toBe(N);
    rows.forEach((r, i) => expect(cosine(vectors.get(r.article_id)!, expected[i]!)).toBeGreaterThan(0.999));

    const report = await verifyMigration({
      store,
      embedder: inner,
      plan,
      settings: VERIFY,
      env: 'default',
      phase: 'backfill',
    });
    expect(report.checks.filter((c) => !c.passed)).toEqual([]);
    expect(report.counts).toMatchObject({ documents: N, embeddings: N, current: N, missing: 0, stale: 0 });
    expect(report.dimension).toEqual({
      expected: TO.dimension,
      catalog: TO.dimension,
      stored: [TO.dimension, TO.dimension],
    });
    expect(report.overlap!.sampleQueries).toBe(VERIFY.sampleQueries);

    // A row changed after the backfill counts as stale until a run re-embeds it; a vector the
    // application wrote itself (dual-write) is trusted.
    await store.client.query(
      `UPDATE app.kb_articles SET body = 'edited later', modified = clock_timestamp() WHERE article_id = $1`,
      [articleId(7)],
    );
    await store.client.query(
      `UPDATE app.kb_articles SET body = 'dual-written', modified = clock_timestamp(), emb_new = (SELECT emb_new FROM app.kb_articles WHERE article_id = $2) WHERE article_id = $1`,
      [articleId(8), articleId(9)],
    );
    expect(await countFacts(store, plan)).toMatchObject({
      stale: 1,
      staleIds: [articleId(7)],
      missing: 0,
      current: N - 1,
    });
    const again = await runBackfill({ store, embedder: inner, plan, settings: BATCH, lock: false });
    expect(again.reconciledIds).toEqual([articleId(7)]);
    expect(await countFacts(store, plan)).toMatchObject({ stale: 0, missing: 0, current: N });

    // --cleanup never drops the application's old column, whatever the phase.
    const resolved = {
      plan,
      env: undefined,
      envKey: 'default',
      phase: 'complete' as const,
      phasePath: ['phase'],
      overridden: false,
      backfill: BATCH,
      verify: VERIFY,
    };
    expect(
      await cleanupOldIndex(store, resolved, { ok: true, ref: 'main', phase: 'complete', fromIndex: plan.from.index }),
    ).toMatchObject({
      ok: false,
      code: 'E_MIGRATE_CLEANUP_APP_TABLE',
      message: expect.stringContaining('app.kb_articles.emb_old'),
    });
    expect(
      (await store.client.query<{ n: number }>(`SELECT count(emb_old)::int AS n FROM app.kb_articles`))[0]!.n,
    ).toBe(N);
  });

  it('dead-letters a row the API refuses, counts it until the application rewrites it, then the next run embeds it', async () => {
    await createKbTable(store.client, 'app_dl', 30, PGVECTOR);
    const poisoned = articleId(7);
    await store.client.query(
      `UPDATE app_dl.kb_articles SET body = 'POISON: refused by the API' WHERE article_id = $1`,
      [poisoned],
    );
    const refusing: Embedder = {
      ...inner,
      embed: (model, dimension, texts) => inner.embed(model, dimension, texts),
      embedWithUsage: async (model, dimension, texts, options) => {
        if (texts.some((t) => t.startsWith('POISON')))
          throw new EmbeddingError('E_EMBED_REQUEST', 'input rejected', { status: 400, retryable: false });
        return inner.embedWithUsage(model, dimension, texts, options);
      },
    };
    const plan = { ...kbPlan('app_dl'), migration: 'kb-dead-letters' };
    const first = await runBackfill({ store, embedder: refusing, plan, settings: BATCH, lock: false });
    expect(first).toMatchObject({ status: 'complete', deadLettered: 1, deadLetters: 1, embedded: 29 });
    expect(await countFacts(store, plan)).toMatchObject({ documents: 30, current: 29, deadLetters: 1, missing: 0 });
    // A run without changes leaves it alone (no request for it: the refusal would be the same).
    const idle = await runBackfill({ store, embedder: refusing, plan, settings: BATCH, lock: false });
    expect(idle).toMatchObject({ status: 'complete', reconciled: 0, deadLetters: 1 });
    // The application fixes the text: the dead letter no longer explains anything, the row is missing,
    // and the next run embeds it and clears the dead letter.
    await store.client.query(
      `UPDATE app_dl.kb_articles SET body = 'fixed text', modified = clock_timestamp() WHERE article_id = $1`,
      [poisoned],
    );
    expect(await countFacts(store, plan)).toMatchObject({ deadLetters: 0, missing: 1, missingIds: [poisoned] });
    const fixed = await runBackfill({ store, embedder: refusing, plan, settings: BATCH, lock: false });
    expect(fixed).toMatchObject({ status: 'complete', reconciledIds: [poisoned], deadLetters: 0 });
    expect(await countFacts(store, plan)).toMatchObject({ current: 30, deadLetters: 0, missing: 0 });
    expect(
      (
        await store.client.query(`SELECT 1 FROM "${store.schema}".migration_dead_letters WHERE migration = $1`, [
          plan.migration,
        ])
      ).length,
    ).toBe(0);
  });

  it('refuses bad identifiers, a missing table and missing or mistyped columns with codes that name the column and the plan file', async () => {
    await store.client.exec(
      `CREATE TABLE app.no_key (article_id text, body text, modified timestamptz, emb_old vector(64), emb_new vector(96))`,
    );
    await store.client.exec(
      `CREATE TABLE app.small_new (article_id text PRIMARY KEY, body text, modified timestamptz, emb_old vector(64), emb_new vector(32))`,
    );
    const refusal = async (plan: ReturnType<typeof kbPlan>) => {
      const error = await runBackfill({ store, embedder: inner, plan, settings: BATCH }).then(
        () => undefined,
        (e: { code?: string; message: string }) => e,
      );
      expect(error, 'expected a refusal').toBeDefined();
      return { code: error!.code, message: error!.message };
    };
    const file = 'rollouts/kb-upgrade.yaml';
    expect(await refusal(kbPlan(APP, { table: 'app.kb_articles; DROP TABLE app.kb_articles' }))).toMatchObject({
      code: 'E_MIGRATE_STORAGE_NAME',
      message: expect.stringContaining(`${file}: storage.table`),
    });
    expect(await refusal(kbPlan(APP, { key: 'Article_ID' }))).toMatchObject({
      code: 'E_MIGRATE_STORAGE_NAME',
      message: expect.stringContaining('storage.key'),
    });
    expect(await refusal(kbPlan(APP, { to: { column: 'emb"new' } }))).toMatchObject({ code: 'E_MIGRATE_STORAGE_NAME' });
    expect(await refusal(kbPlan(APP, { table: 'app.kb_missing' }))).toMatchObject({
      code: 'E_MIGRATE_STORAGE_TABLE',
      message: expect.stringContaining('app.kb_missing does not exist'),
    });
    expect(await refusal(kbPlan(APP, { to: { column: 'emb_large' } }))).toMatchObject({
      code: 'E_MIGRATE_STORAGE_COLUMN',
      message: expect.stringMatching(
        /^rollouts\/kb-upgrade\.yaml: storage\.to\.column names column 'emb_large', which app\.kb_articles does not have/,
      ),
    });
    expect(await refusal(kbPlan(APP, { updatedAt: 'changed_at' }))).toMatchObject({
      code: 'E_MIGRATE_STORAGE_COLUMN',
      message: expect.stringContaining("'changed_at'"),
    });
    expect(await refusal(kbPlan(APP, { text: 'modified' }))).toMatchObject({
      code: 'E_MIGRATE_STORAGE_COLUMN',
      message: expect.stringContaining('not text'),
    });
    expect(await refusal(kbPlan(APP, { to: { column: 'body' } }))).toMatchObject({
      code: 'E_MIGRATE_STORAGE_COLUMN',
      message: expect.stringContaining('a vector column is'),
    });
    expect(await refusal(kbPlan(APP, { table: 'app.no_key' }))).toMatchObject({
      code: 'E_MIGRATE_STORAGE_COLUMN',
      message: expect.stringContaining('unique'),
    });
    expect(await refusal(kbPlan(APP, { table: 'app.small_new' }))).toMatchObject({
      code: 'E_MIGRATE_STORAGE_COLUMN',
      message: expect.stringContaining('vector(32), but to.dimension is 96'),
    });
    // Nothing was created or written for a refused plan.
    expect((await store.client.query(`SELECT 1 FROM app.small_new`)).length).toBe(0);
  });

  it("names the application's table and columns in the runtime's route; the plan refuses identifiers that are not plain", async () => {
    const storage = (table: string, column: string) => `storage:
  table: ${table}
  key: article_id
  text: body
  updatedAt: modified
  from:
    column: emb_old
  to:
    column: ${column}
`;
    const root = writeProject({ staging: 'dual-read', extra: storage('app.kb_articles', 'emb_new') });
    const bad = writeProject({ extra: storage('app.kb_articles', 'emb_new; DROP TABLE x') });
    const plain = writeProject({ staging: 'dual-read' });
    try {
      const route = await runtimeRoute(root, 'staging');
      const old = { index: 'docs-small', table: 'app.kb_articles', column: 'emb_old' };
      const next = { index: 'docs-large', table: 'app.kb_articles', column: 'emb_new' };
      expect(route).toMatchObject({ phase: 'dual-read', write: [old, next], read: [next, old] });
      // A plan without storage: keeps its route exactly as before (no table or column keys).
      expect((await runtimeRoute(plain, 'staging')).write).toEqual([
        { model: 'text-embedding-3-small', dimension: 64, index: 'docs-small' },
        { model: 'text-embedding-3-large', dimension: 96, index: 'docs-large' },
      ]);
      const loaded = await loadProject(bad);
      expect(loaded.errors).toContainEqual(
        expect.objectContaining({
          code: 'E_SCHEMA',
          file: `rollouts/${MIGRATION}.yaml`,
          line: 30,
          pointer: '/storage/to/column',
        }),
      );
    } finally {
      for (const dir of [root, bad, plain]) rmSync(dir, { recursive: true, force: true });
    }
  });
});
