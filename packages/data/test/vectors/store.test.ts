import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPgClient } from '../../src/store/pg-client.ts';
import type { SqlClient } from '../../src/store/sql-client.ts';
import { openVectorStore, VectorError, type VectorStore } from '../../src/vectors/index.ts';
import { PG_URL, axis, pgliteBackend, pgliteSocketBackend, postgresBackend, type Backend } from './fixtures.ts';
import { needs } from '../../../../test/helpers/capabilities.ts';
import { waitFor } from '../../../../test/helpers/wait-for.ts';

const postgres = await needs('postgres');

const DIM = 8;
const SMALL = { index: 'docs-small', model: 'text-embedding-3-small', dimension: DIM };

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
}

/** The server process id behind a one-connection pool. */
async function backendPid(client: SqlClient): Promise<number> {
  return Number((await client.query<{ p: number }>('SELECT pg_backend_pid() AS p'))[0]!.p);
}

/**
 * Resolves once backend `pid` waits on a lock (pg_stat_activity's wait event), so a test orders two
 * sessions by the server's own state instead of by a sleep. `client` must not be inside a
 * transaction: pg_stat_activity is read once per transaction.
 */
async function untilWaitingOnLock(client: SqlClient, pid: number, who: string): Promise<void> {
  await waitFor(`${who} to block on the row lock`, async () => {
    const rows = await client.query<{ w: string | null }>(
      'SELECT wait_event_type AS w FROM pg_stat_activity WHERE pid = $1',
      [pid],
    );
    return rows[0]?.w === 'Lock';
  });
}

function suite(backend: Backend, skip = false): void {
  describe.skipIf(skip)(skip ? postgres.title(backend.name) : backend.name, () => {
    let store: VectorStore;
    beforeAll(async () => {
      store = await backend.open();
    });
    afterAll(async () => {
      await store?.close();
      await backend.cleanup();
    });

    it('detects the vector type and migrates idempotently', async () => {
      expect(store.vectorType).toBe(backend.expectedType);
      expect(store.migration.current).toBe(4);
      const again = await openVectorStore(store.client, { schema: store.schema });
      expect(again.migration.applied).toEqual([]);
      expect(again.vectorType).toBe(backend.expectedType);
    });

    it('stores documents with a new version on every write and lists them by keyset', async () => {
      const a1 = await store.putDocument({ id: 'doc-b', content: 'first', tenant: 'acme', metadata: { lang: 'en' } });
      const a2 = await store.putDocument({ id: 'doc-b', content: 'second', tenant: 'acme', metadata: { lang: 'fr' } });
      expect(a2.version).toBeGreaterThan(a1.version);
      await store.putDocument({ id: 'doc-a', content: 'alpha' });
      await store.putDocument({ id: 'doc-c', content: 'gamma', tenant: 'other' });
      const got = await store.getDocument('doc-b');
      expect(got).toMatchObject({
        id: 'doc-b',
        content: 'second',
        tenant: 'acme',
        metadata: { lang: 'fr' },
        version: a2.version,
      });
      expect(await store.getDocument('missing')).toBeUndefined();
      expect(await store.countDocuments()).toBe(3);
      const page1 = await store.listDocuments(null, 2);
      expect(page1.map((d) => d.id)).toEqual(['doc-a', 'doc-b']);
      const page2 = await store.listDocuments(page1.at(-1)!.id, 2);
      expect(page2.map((d) => d.id)).toEqual(['doc-c']);
      expect(await store.listDocuments('doc-c', 2)).toEqual([]);
    });

    it('creates an index once and refuses another model, dimension or a clashing name', async () => {
      const info = await store.ensureIndex(SMALL);
      expect(info).toMatchObject({
        index: 'docs-small',
        table: 'emb_docs_small',
        dimension: DIM,
        vectorType: backend.expectedType,
      });
      expect(await store.ensureIndex(SMALL)).toEqual(info);
      expect(await codeOf(store.ensureIndex({ ...SMALL, dimension: DIM + 1 }))).toBe('E_VECTOR_INDEX_MISMATCH');
      expect(await codeOf(store.ensureIndex({ ...SMALL, model: 'other' }))).toBe('E_VECTOR_INDEX_MISMATCH');
      expect(await codeOf(store.ensureIndex({ ...SMALL, index: 'docs_small' }))).toBe('E_VECTOR_INDEX_NAME');
      expect(await codeOf(store.ensureIndex({ ...SMALL, index: 'Bad Name' }))).toBe('E_VECTOR_INDEX_NAME');
      expect((await store.listIndexes()).map((i) => i.index)).toEqual(['docs-small']);
    });

    it('enforces the dimension in code and in the column', async () => {
      const doc = await store.getDocument('doc-a');
      expect(
        await codeOf(
          store.upsertEmbeddings('docs-small', [{ id: 'doc-a', version: doc!.version, embedding: axis(DIM + 1, 0) }]),
        ),
      ).toBe('E_VECTOR_DIMENSION');
      const table = await store.tableOf('docs-small');
      const literal = backend.expectedType === 'pgvector' ? '[1,0,0]' : '{1,0,0}';
      const cast = backend.expectedType === 'pgvector' ? 'vector' : 'real[]';
      await expect(
        store.client.query(
          `INSERT INTO ${table} (doc_id, version, model, embedding) VALUES ('doc-a', $1, 'm', $2::${cast})`,
          [doc!.version, literal],
        ),
      ).rejects.toThrow();
    });

    it('ranks by cosine similarity, filters by tenant, and counts', async () => {
      const docs = await Promise.all(['doc-a', 'doc-b', 'doc-c'].map((id) => store.getDocument(id)));
      const result = await store.upsertEmbeddings('docs-small', [
        { id: 'doc-a', version: docs[0]!.version, embedding: axis(DIM, 0) },
        { id: 'doc-b', version: docs[1]!.version, embedding: axis(DIM, 0, 0.5).map((x) => x * 3) }, // not unit: normalised on write
        { id: 'doc-c', version: docs[2]!.version, embedding: axis(DIM, 2) },
      ]);
      expect(result).toEqual({ written: 3, skipped: [] });
      const hits = await store.search('docs-small', axis(DIM, 0, 0.1), 3);
      expect(hits.map((h) => h.id)).toEqual(['doc-a', 'doc-b', 'doc-c']);
      expect(hits[0]!.score).toBeCloseTo(1 / Math.sqrt(1.01), 5);
      expect(hits[1]!.score).toBeCloseTo(1.05 / Math.sqrt(1.01 * 1.25), 5);
      expect(hits[2]!.score).toBeCloseTo(0, 5);
      expect(hits[1]!.version).toBe(docs[1]!.version);
      expect((await store.search('docs-small', axis(DIM, 0), 5, { tenant: 'acme' })).map((h) => h.id)).toEqual([
        'doc-b',
      ]);
      expect(await store.search('docs-small', axis(DIM, 0), 5, { tenant: 'nobody' })).toEqual([]);
      expect(await store.countEmbeddings('docs-small')).toBe(3);
    });

    it('never lets a stale version win, never resurrects a deleted document, and is idempotent', async () => {
      const v1 = await store.putDocument({ id: 'race', content: 'old text' });
      const v2 = await store.putDocument({ id: 'race', content: 'new text' });
      // The app writes the new version's vector first…
      expect(
        await store.upsertEmbeddings('docs-small', [{ id: 'race', version: v2.version, embedding: axis(DIM, 3) }]),
      ).toEqual({ written: 1, skipped: [] });
      // …then a backfill batch that read the old version arrives late: ignored.
      expect(
        await store.upsertEmbeddings('docs-small', [{ id: 'race', version: v1.version, embedding: axis(DIM, 4) }]),
      ).toEqual({ written: 0, skipped: ['race'] });
      expect((await store.search('docs-small', axis(DIM, 3), 1))[0]).toMatchObject({ id: 'race', version: v2.version });
      // A stale vector is refused even when the index holds nothing for the document yet.
      await store.deleteEmbedding('docs-small', 'race');
      expect(
        await store.upsertEmbeddings('docs-small', [{ id: 'race', version: v1.version, embedding: axis(DIM, 4) }]),
      ).toEqual({ written: 0, skipped: ['race'] });
      // Same upsert twice = once.
      const before = await store.countEmbeddings('docs-small');
      for (let i = 0; i < 2; i++)
        await store.upsertEmbeddings('docs-small', [{ id: 'race', version: v2.version, embedding: axis(DIM, 3) }]);
      expect(await store.countEmbeddings('docs-small')).toBe(before + 1);
      // A duplicate id in one batch keeps the newest version.
      expect(
        await store.upsertEmbeddings('docs-small', [
          { id: 'race', version: v1.version, embedding: axis(DIM, 4) },
          { id: 'race', version: v2.version, embedding: axis(DIM, 5) },
        ]),
      ).toEqual({ written: 1, skipped: [] });
      expect((await store.search('docs-small', axis(DIM, 5), 1))[0]!.id).toBe('race');
      // Delete removes the vectors from every index; a late upsert cannot bring the document back.
      expect(await store.deleteDocument('race')).toBe(true);
      expect(await store.countEmbeddings('docs-small')).toBe(before);
      expect(
        await store.upsertEmbeddings('docs-small', [{ id: 'race', version: v2.version, embedding: axis(DIM, 3) }]),
      ).toEqual({ written: 0, skipped: ['race'] });
      expect(await store.getDocument('race')).toBeUndefined();
      expect(await store.deleteDocument('race')).toBe(false);
      // Re-creating it gets a version above every earlier one: an old vector still cannot land.
      const v3 = await store.putDocument({ id: 'race', content: 'again' });
      expect(v3.version).toBeGreaterThan(v2.version);
      expect(
        (await store.upsertEmbeddings('docs-small', [{ id: 'race', version: v2.version, embedding: axis(DIM, 3) }]))
          .written,
      ).toBe(0);
    });

    it("runs upserts and the caller's own rows in one transaction (all or nothing)", async () => {
      const doc = await store.putDocument({ id: 'tx-doc', content: 'tx' });
      const before = await store.countEmbeddings('docs-small');
      await expect(
        store.transaction(async (tx) => {
          await tx.upsertEmbeddings('docs-small', [{ id: 'tx-doc', version: doc.version, embedding: axis(DIM, 6) }]);
          await tx.sql.query('SELECT 1');
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(await store.countEmbeddings('docs-small')).toBe(before);
      await store.transaction((tx) =>
        tx.upsertEmbeddings('docs-small', [{ id: 'tx-doc', version: doc.version, embedding: axis(DIM, 6) }]),
      );
      expect(await store.countEmbeddings('docs-small')).toBe(before + 1);
    });

    it('drops an index; searching it then says E_VECTOR_NO_INDEX', async () => {
      await store.ensureIndex({ index: 'scratch', model: 'm', dimension: 4 });
      expect(await store.dropIndex('scratch')).toBe(true);
      expect(await store.dropIndex('scratch')).toBe(false);
      expect(await codeOf(store.search('scratch', axis(4, 0), 1))).toBe('E_VECTOR_NO_INDEX');
      expect(await codeOf(store.countEmbeddings('scratch'))).toBe('E_VECTOR_NO_INDEX');
      expect(await codeOf(store.search('docs-small', axis(DIM, 0), 0))).toBe('E_VECTOR_QUERY');
      expect(await codeOf(store.putDocument({ id: '', content: 'x' }))).toBe('E_VECTOR_DOCUMENT');
    });
  });
}

suite(pgliteBackend());
suite(pgliteSocketBackend());
suite(postgresBackend('vectors'), postgres.skip);

describe.skipIf(postgres.skip)(
  postgres.title('concurrent writers on PostgreSQL (real transactions, two connections)'),
  () => {
    const backend = postgresBackend('vrace');
    let store: VectorStore;
    beforeAll(async () => {
      store = await backend.open();
      await store.ensureIndex(SMALL);
    });
    afterAll(async () => {
      await store?.close();
      await backend.cleanup();
    });

    it('a delete that races an uncommitted backfill batch still removes the vector', async () => {
      const doc = await store.putDocument({ id: 'held', content: 'x' });
      const other = await openVectorStore(openPgClient({ connectionString: PG_URL, max: 1 }), {
        schema: store.schema,
        ownsClient: true,
      });
      const otherPid = await backendPid(other.client);
      let deletion: Promise<boolean> | undefined;
      await store.transaction(async (tx) => {
        expect(
          (await tx.upsertEmbeddings('docs-small', [{ id: 'held', version: doc.version, embedding: axis(DIM, 1) }]))
            .written,
        ).toBe(1);
        // The app deletes while the batch is uncommitted: it waits on the batch's row lock.
        deletion = other.deleteDocument('held');
        await untilWaitingOnLock(store.client, otherPid, 'the delete');
      });
      expect(await deletion).toBe(true);
      expect(await store.getDocument('held')).toBeUndefined();
      expect((await store.search('docs-small', axis(DIM, 1), 10)).map((h) => h.id)).not.toContain('held');
      await other.close();
    });

    it('an update that races an uncommitted backfill batch wins once its own vector lands', async () => {
      const v1 = await store.putDocument({ id: 'moving', content: 'old' });
      const other = await openVectorStore(openPgClient({ connectionString: PG_URL, max: 1 }), {
        schema: store.schema,
        ownsClient: true,
      });
      const otherPid = await backendPid(other.client);
      let update: Promise<unknown> | undefined;
      await store.transaction(async (tx) => {
        await tx.upsertEmbeddings('docs-small', [{ id: 'moving', version: v1.version, embedding: axis(DIM, 1) }]);
        update = other.putDocument({ id: 'moving', content: 'new' });
        await untilWaitingOnLock(store.client, otherPid, 'the update');
      });
      const v2 = (await update) as { version: number };
      // The backfill's v1 vector committed first; the app's v2 vector replaces it…
      expect(
        (await store.upsertEmbeddings('docs-small', [{ id: 'moving', version: v2.version, embedding: axis(DIM, 7) }]))
          .written,
      ).toBe(1);
      // …and a retried v1 batch can no longer overwrite it.
      expect(
        (await store.upsertEmbeddings('docs-small', [{ id: 'moving', version: v1.version, embedding: axis(DIM, 1) }]))
          .written,
      ).toBe(0);
      const top = await store.search('docs-small', axis(DIM, 7), 1);
      expect(top[0]).toMatchObject({ id: 'moving', version: v2.version });
      await other.close();
    });

    it('two concurrent putDocument calls: the one that takes the row lock last gets the larger version', async () => {
      await store.putDocument({ id: 'two-writers', content: 'original' });
      // Writer B runs on a pool of one connection, so a BEGIN sent through it keeps the transaction
      // open across B's putDocument and upsert (the product code, inside a transaction we control).
      const bClient = openPgClient({ connectionString: PG_URL, max: 1 });
      const storeB = await openVectorStore(bClient, { schema: store.schema, ownsClient: true });
      const storeA = await openVectorStore(openPgClient({ connectionString: PG_URL, max: 1 }), {
        schema: store.schema,
        ownsClient: true,
      });
      const aPid = await backendPid(storeA.client);
      try {
        await bClient.query('BEGIN');
        await bClient.query(`SELECT id FROM ${store.schema}.documents WHERE id = 'two-writers' FOR UPDATE`);
        // A starts first and blocks on B's row lock (its VALUES nextval is already drawn).
        const a = storeA.putDocument({ id: 'two-writers', content: 'text A' });
        await untilWaitingOnLock(store.client, aPid, 'writer A');
        // B writes and indexes its text while A waits, then commits.
        const b = await storeB.putDocument({ id: 'two-writers', content: 'text B' });
        expect(
          (
            await storeB.upsertEmbeddings('docs-small', [
              { id: 'two-writers', version: b.version, embedding: axis(DIM, 2) },
            ])
          ).written,
        ).toBe(1);
        await bClient.query('COMMIT');
        const written = await a;
        // A committed last: its text must carry the larger version, and its vector must replace B's.
        expect(written.content).toBe('text A');
        expect(written.version).toBeGreaterThan(b.version);
        expect(await store.getDocument('two-writers')).toMatchObject({ content: 'text A', version: written.version });
        expect(
          (
            await storeA.upsertEmbeddings('docs-small', [
              { id: 'two-writers', version: written.version, embedding: axis(DIM, 5) },
            ])
          ).written,
        ).toBe(1);
        // B's late retry of its own version can no longer land.
        expect(
          (
            await storeB.upsertEmbeddings('docs-small', [
              { id: 'two-writers', version: b.version, embedding: axis(DIM, 2) },
            ])
          ).written,
        ).toBe(0);
        const table = await store.tableOf('docs-small');
        const rows = await store.client.query<{ version: string }>(
          `SELECT version FROM ${table} WHERE doc_id = 'two-writers'`,
        );
        expect(rows.map((r) => Number(r.version))).toEqual([written.version]);
      } finally {
        await bClient.query('ROLLBACK').catch(() => {});
        await storeA.close();
        await storeB.close();
      }
    });

    it('a vector of a version other than the current one is replaced, whichever is larger', async () => {
      const doc = await store.putDocument({ id: 'ahead', content: 'x' });
      const table = await store.tableOf('docs-small');
      // Data left by a store that predates versions drawn under the lock: a vector *ahead* of the text.
      await store.upsertEmbeddings('docs-small', [{ id: 'ahead', version: doc.version, embedding: axis(DIM, 1) }]);
      await store.client.query(`UPDATE ${table} SET version = version + 1000 WHERE doc_id = 'ahead'`);
      expect(
        await store.upsertEmbeddings('docs-small', [{ id: 'ahead', version: doc.version, embedding: axis(DIM, 2) }]),
      ).toEqual({ written: 1, skipped: [] });
      expect(
        (await store.client.query<{ version: string }>(`SELECT version FROM ${table} WHERE doc_id = 'ahead'`))[0]!
          .version,
      ).toBe(String(doc.version));
    });
  },
);

it('VectorError carries its code', () => {
  expect(new VectorError('E_X', 'm').code).toBe('E_X');
});
