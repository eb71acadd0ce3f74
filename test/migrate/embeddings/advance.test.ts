import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embeddingRoutes } from '../../../src/bundle/tables.ts';
import { startModelServer, type ModelServer } from '../../../src/eval/offline/server.ts';
import {
  decideAdvance,
  runBackfill,
  storeVerification,
  verifyMigration,
  type ResolvedPlan,
} from '../../../src/migrate/embeddings/index.ts';
import { indexDocument, openVectorDatabase, type Embedder, type VectorStore } from '@switchyard/data';
import { createEmbedder } from '../../../src/migrate/embeddings/embedder.ts';
import { FROM, SETTINGS, TO, VERIFY, seedDocuments, testPlan } from './corpus.ts';

function resolved(phase: ResolvedPlan['phase']): ResolvedPlan {
  return {
    plan: testPlan({ phase }),
    env: undefined,
    envKey: 'default',
    phase,
    phasePath: ['phase'],
    overridden: false,
    backfill: SETTINGS,
    verify: VERIFY,
  };
}

describe('--advance rules against live data', () => {
  let server: ModelServer;
  let embedder: Embedder;
  let store: VectorStore;
  beforeAll(async () => {
    server = await startModelServer();
    embedder = createEmbedder({ baseURL: server.baseUrl, apiKey: 'k' });
    store = await openVectorDatabase({ backend: 'pglite' });
    await seedDocuments(store, 120);
    for (const plan of [testPlan({ migration: 'build-old', to: FROM }), testPlan()]) {
      expect((await runBackfill({ store, embedder, plan, settings: SETTINGS })).status).toBe('complete');
    }
  });
  afterAll(async () => {
    await store?.close();
    await server?.close();
  });

  it('needs a passed verification; tolerates later dual-written documents within maxAge; refuses gaps, old or failed ones', async () => {
    expect(await decideAdvance(store, resolved('dual-read'))).toMatchObject({ code: 'E_MIGRATE_NOT_VERIFIED' });
    const verification = await storeVerification(
      store,
      await verifyMigration({
        store,
        embedder,
        plan: testPlan(),
        settings: VERIFY,
        env: 'default',
        phase: 'dual-read',
      }),
    );
    expect(verification.passed).toBe(true);
    expect(await decideAdvance(store, resolved('dual-read'))).toMatchObject({
      from: 'dual-read',
      to: 'cutover',
      reason: expect.stringContaining('passed on the current data'),
    });

    // The application keeps dual-writing: the data changed, the counts still pass.
    const route = { phase: 'dual-read' as const, ...embeddingRoutes('dual-read', FROM, TO) };
    await indexDocument(store, embedder, route, { id: 'live-1', content: 'written after the verification' });
    expect(await decideAdvance(store, resolved('dual-read'))).toMatchObject({
      to: 'cutover',
      reason: expect.stringContaining('count checks pass now'),
    });
    // Too long ago.
    const later = Date.parse(verification.createdAt!) + 61 * 60_000;
    expect(await decideAdvance(store, resolved('dual-read'), later)).toMatchObject({
      code: 'E_MIGRATE_NOT_VERIFIED',
      message: expect.stringContaining('minutes old'),
    });
    // A document the new index lacks.
    await store.putDocument({ id: 'live-2', content: 'stored, never indexed' });
    expect(await decideAdvance(store, resolved('dual-read'))).toMatchObject({
      code: 'E_MIGRATE_NOT_VERIFIED',
      message: expect.stringContaining('missing 1 (live-2)'),
    });
    // A failed verification is the latest: refused whatever the data.
    await storeVerification(
      store,
      await verifyMigration({
        store,
        embedder,
        plan: testPlan(),
        settings: VERIFY,
        env: 'default',
        phase: 'dual-read',
      }),
    );
    expect(await decideAdvance(store, resolved('dual-read'))).toMatchObject({
      code: 'E_MIGRATE_NOT_VERIFIED',
      message: expect.stringContaining('failed: counts'),
    });
    // Another plan (a different target) does not count.
    expect(
      await decideAdvance(store, { ...resolved('dual-read'), plan: testPlan({ to: { ...TO, index: 'docs-other' } }) }),
    ).toMatchObject({ message: expect.stringContaining('different from/to plan') });
  });
});
