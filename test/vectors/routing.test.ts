import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embeddingRoutes } from '../../src/bundle/tables.ts';
import type { EmbeddingPhase } from '../../src/config/index.ts';
import { startModelServer, type ModelServer } from '../../src/eval/offline/server.ts';
import {
  indexDocument,
  openVectorDatabase,
  removeDocument,
  searchDocuments,
  type Embedder,
  type VectorStore,
} from '@switchyard/data';
import { createEmbedder, retryAfterMs, type EmbeddingError } from '../../src/migrate/embeddings/embedder.ts';

const FROM = { model: 'text-embedding-3-small', dimension: 64, index: 'docs-small' };
const TO = { model: 'text-embedding-3-large', dimension: 128, index: 'docs-large' };
const route = (phase: EmbeddingPhase) => ({ phase, ...embeddingRoutes(phase, FROM, TO) });

async function failure(promise: Promise<unknown>): Promise<EmbeddingError> {
  try {
    await promise;
  } catch (error) {
    return error as EmbeddingError;
  }
  throw new Error('expected a failure');
}

describe('embedder over the openai SDK and the offline model server', () => {
  let server: ModelServer;
  let embedder: Embedder;
  let limiter: Server;
  let limiterUrl: string;
  beforeAll(async () => {
    server = await startModelServer();
    embedder = createEmbedder({ baseURL: server.baseUrl, apiKey: 'switchyard-offline' });
    limiter = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '2' });
        res.end(JSON.stringify({ error: { message: 'slow down', type: 'rate_limit', code: 'rate_limit_exceeded' } }));
      });
    });
    await new Promise<void>((r) => limiter.listen(0, '127.0.0.1', () => r()));
    limiterUrl = `http://127.0.0.1:${(limiter.address() as AddressInfo).port}/v1`;
  });
  afterAll(async () => {
    await server.close();
    await new Promise((r) => limiter.close(r));
  });

  it('returns one vector per text in the asked dimension (sending `dimensions` below the native size)', async () => {
    const [a, b] = await embedder.embed('text-embedding-3-large', 256, ['reset a password', 'billing address']);
    expect(a).toBeInstanceOf(Float32Array);
    expect([a!.length, b!.length]).toEqual([256, 256]);
    expect((await embedder.embed('text-embedding-3-small', 1536, ['x']))[0]!.length).toBe(1536);
    const usage = await embedder.embedWithUsage('text-embedding-3-small', 32, ['one two three']);
    expect(usage.promptTokens).toBeGreaterThan(0);
  });

  it('refuses vectors of the wrong length and dimensions above the model', async () => {
    const never = createEmbedder({ baseURL: server.baseUrl, apiKey: 'k', sendDimensions: 'never' });
    const wrong = await failure(never.embed('text-embedding-3-small', 256, ['x']));
    expect(wrong.code).toBe('E_EMBED_DIMENSION');
    expect(wrong.message).toContain('returned 1536-dimensional vectors; the plan says 256');
    expect((await failure(embedder.embed('text-embedding-3-small', 4096, ['x']))).code).toBe('E_EMBED_DIMENSION');
  });

  it('classifies failures: request errors are final, 429/network are retryable with Retry-After', async () => {
    const missing = await failure(embedder.embed('no-such-model', 8, ['x']));
    expect([missing.code, missing.status, missing.retryable]).toEqual(['E_EMBED_REQUEST', 404, false]);
    const limited = await failure(
      createEmbedder({ baseURL: limiterUrl, apiKey: 'k' }).embed('text-embedding-3-small', 8, ['x']),
    );
    expect([limited.code, limited.status, limited.retryable, limited.retryAfterMs]).toEqual([
      'E_EMBED_RATE_LIMITED',
      429,
      true,
      2000,
    ]);
    const down = await failure(
      createEmbedder({ baseURL: 'http://127.0.0.1:1/v1', apiKey: 'k' }).embed('text-embedding-3-small', 8, ['x']),
    );
    expect([down.code, down.retryable]).toEqual(['E_EMBED_NETWORK', true]);
    const headers = (h: Record<string, string>) => ({ get: (n: string) => h[n] ?? null });
    expect(retryAfterMs(headers({ 'retry-after-ms': '150' }))).toBe(150);
    expect(retryAfterMs(headers({ 'retry-after': 'Thu, 01 Jan 2026 00:00:10 GMT' }), Date.UTC(2026, 0, 1))).toBe(
      10_000,
    );
    expect(retryAfterMs(headers({}))).toBeUndefined();
  });
});

describe('reads and writes routed by migration phase (PGlite + pgvector, offline model server)', () => {
  let server: ModelServer;
  let embedder: Embedder;
  let store: VectorStore;
  beforeAll(async () => {
    server = await startModelServer();
    embedder = createEmbedder({ baseURL: server.baseUrl, apiKey: 'switchyard-offline' });
    store = await openVectorDatabase({ backend: 'pglite' });
  });
  afterAll(async () => {
    await store?.close();
    await server.close();
  });

  it('dual-write writes both indexes and reads the old one', async () => {
    const written = await indexDocument(store, embedder, route('dual-write'), {
      id: 'pw',
      content: 'How to reset your password from the login page',
      tenant: 'acme',
    });
    expect(written.targets).toEqual([
      { index: 'docs-small', model: FROM.model, written: true },
      { index: 'docs-large', model: TO.model, written: true },
    ]);
    expect([await store.countEmbeddings('docs-small'), await store.countEmbeddings('docs-large')]).toEqual([1, 1]);
    const found = await searchDocuments(store, embedder, route('dual-write'), 'reset password', 3);
    expect(found).toMatchObject({ servedBy: FROM, fellBack: false });
    expect(found.hits.map((h) => h.id)).toEqual(['pw']);
  });

  it('dual-read reads the new index first and falls back to the old one when it has nothing', async () => {
    // A document that only the old index has (as if written before dual-write, not yet backfilled).
    const doc = await store.putDocument({
      id: 'inv',
      content: 'Download an invoice as PDF from billing',
      tenant: 'globex',
    });
    await store.upsertEmbeddings('docs-small', [
      {
        id: 'inv',
        version: doc.version,
        embedding: (await embedder.embed(FROM.model, FROM.dimension, [doc.content]))[0]!,
      },
    ]);
    const fromNew = await searchDocuments(store, embedder, route('dual-read'), 'reset password', 3, { tenant: 'acme' });
    expect(fromNew).toMatchObject({ servedBy: TO, fellBack: false });
    const fallback = await searchDocuments(store, embedder, route('dual-read'), 'invoice pdf', 3, { tenant: 'globex' });
    expect(fallback).toMatchObject({ servedBy: FROM, fellBack: true });
    expect(fallback.hits.map((h) => h.id)).toEqual(['inv']);
    expect(fallback.attempts.map((a) => [a.index, a.hits])).toEqual([
      ['docs-large', 0],
      ['docs-small', 1],
    ]);
  });

  it('falls back when the new index does not exist yet, and reports why', async () => {
    const fresh = { ...route('dual-read'), read: [{ ...TO, index: 'not-created' }, FROM] };
    const result = await searchDocuments(store, embedder, fresh, 'reset password', 3);
    expect(result.fellBack).toBe(true);
    expect(result.attempts[0]!.error?.code).toBe('E_VECTOR_NO_INDEX');
  });

  it('cutover reads only the new index but still writes both (stepping back stays lossless)', async () => {
    const written = await indexDocument(store, embedder, route('cutover'), {
      id: 'sso',
      content: 'Configure single sign-on with SAML',
      tenant: 'acme',
    });
    expect(written.targets.map((t) => t.index).sort()).toEqual(['docs-large', 'docs-small']);
    const onlyOld = await searchDocuments(store, embedder, route('cutover'), 'invoice pdf', 3, { tenant: 'globex' });
    expect(onlyOld).toMatchObject({ hits: [], servedBy: undefined });
    const back = await searchDocuments(store, embedder, route('dual-read'), 'single sign-on SAML', 1, {
      tenant: 'acme',
    });
    expect(back.hits[0]!.id).toBe('sso');
  });

  it('complete writes only the new index; removing a document clears every index', async () => {
    const before = await store.countEmbeddings('docs-small');
    await indexDocument(store, embedder, route('complete'), { id: 'new', content: 'Export analytics to CSV' });
    expect(await store.countEmbeddings('docs-small')).toBe(before);
    const found = await searchDocuments(store, embedder, route('complete'), 'export csv', 1);
    expect(found.hits[0]!.id).toBe('new');
    expect(await removeDocument(store, route('complete'), 'pw')).toBe(true);
    for (const index of ['docs-small', 'docs-large']) {
      expect(
        (
          await store.search(
            index,
            (
              await embedder.embed(index === 'docs-small' ? FROM.model : TO.model, index === 'docs-small' ? 64 : 128, [
                'reset password',
              ])
            )[0]!,
            10,
          )
        ).map((h) => h.id),
      ).not.toContain('pw');
    }
  });

  it('reports a failed write target but still writes the others', async () => {
    const broken = { ...route('dual-write'), write: [FROM, { ...TO, model: 'no-such-model', index: 'docs-broken' }] };
    await expect(indexDocument(store, embedder, broken, { id: 'half', content: 'half written' })).rejects.toMatchObject(
      { code: 'E_VECTOR_WRITE' },
    );
    expect((await store.getDocument('half'))?.content).toBe('half written');
    const vector = (await embedder.embed(FROM.model, FROM.dimension, ['half written']))[0]!;
    expect((await store.search('docs-small', vector, 1))[0]!.id).toBe('half');
  });

  it('after --cleanup retires the old index, an instance still on the cutover route keeps working and writes only the live index', async () => {
    expect(await store.retireIndex('docs-small', 'test cleanup')).toEqual({ dropped: true });
    expect(await store.getIndex('docs-small')).toBeUndefined();
    expect(await store.getRetired('docs-small')).toMatchObject({
      index: 'docs-small',
      model: FROM.model,
      dimension: FROM.dimension,
      reason: 'test cleanup',
    });
    // The lagging instance writes [to, from]: the old index is not re-created, the write succeeds on the new one and says so.
    const written = await indexDocument(store, embedder, route('cutover'), {
      id: 'late',
      content: 'Rotate API keys without downtime',
    });
    expect(written.targets).toEqual([
      { index: 'docs-large', model: TO.model, written: true },
      { index: 'docs-small', model: FROM.model, written: false, retired: true },
    ]);
    expect(written.retired).toEqual(['docs-small']);
    expect(await store.getIndex('docs-small')).toBeUndefined();
    expect((await store.listIndexes()).map((i) => i.index)).not.toContain('docs-small');
    await expect(store.ensureIndex(FROM)).rejects.toMatchObject({ code: 'E_VECTOR_INDEX_RETIRED' });
    // A route that writes only the retired index stores the document but cannot index it: an error.
    await expect(
      indexDocument(store, embedder, { ...route('dual-write'), write: [FROM] }, { id: 'nowhere', content: 'x' }),
    ).rejects.toMatchObject({ code: 'E_VECTOR_INDEX_RETIRED' });
    // A rolled-back read route falls through the retired index to the live one instead of reading an empty index.
    const read = await searchDocuments(
      store,
      embedder,
      { ...route('dual-read'), read: [FROM, TO] },
      'rotate API keys',
      1,
    );
    expect(read.attempts[0]!.error?.code).toBe('E_VECTOR_INDEX_RETIRED');
    expect(read).toMatchObject({ servedBy: TO, fellBack: true });
    expect(read.hits[0]!.id).toBe('late');
    // Retiring again is harmless.
    expect(await store.retireIndex('docs-small', 'again')).toEqual({ dropped: false });
  });
});
