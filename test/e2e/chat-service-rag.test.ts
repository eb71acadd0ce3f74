/**
 * RAG routing in the chat service over HTTP: the canary (`rag-hybrid-large`) picks the pipeline per
 * user in its share (retrieval mode, topK, and its own index only when that index is not one of the
 * migration's pair); the embedding migration's phase (`docs-embeddings-3-large`) decides where
 * documents are written (dual-write: both indexes) and, for every user, in which order the pair is
 * read (dual-read: new first, old as fallback; complete: new only). Client errors on /documents are
 * 400s; a store failure is a 503 whose database text stays in the log. Real PGlite + pgvector, the
 * offline embeddings API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bucketOf, percentToPpm } from '@switchyard/runtime/bundle';
import { editRollout } from '../../examples/chat-service/demo/demo-bundle.ts';
import { OFFLINE_API_KEY } from '../../src/eval/endpoint.ts';
import { indexDocument } from '@switchyard/data';
import { createEmbedder } from '../../src/migrate/embeddings/embedder.ts';
import { both, captureLog, startHarness, type Edit, type Harness } from './chat-service-harness.ts';

const CANARY = 'rag-hybrid-large';
const MIGRATION = 'docs-embeddings-3-large';
const SMALL = { model: 'text-embedding-3-small', dimension: 1536, index: 'docs-small' };

const phase =
  (p: string): Edit =>
  (project) =>
    editRollout(project, MIGRATION, { phase: p });
const canaryAt =
  (percent: number): Edit =>
  (project) =>
    editRollout(project, CANARY, { percent });

const DOCS = [
  { id: 'refunds', content: 'Refunds are issued to the original payment method within 5 business days.' },
  {
    id: 'password-reset',
    content: 'If the password reset email never arrives, check the spam folder and ask an admin to resend it.',
  },
  { id: 'invite', content: 'Workspace owners invite teammates from Settings, Members, Invite by email.' },
  { id: 'export', content: 'Conversation history can be exported as CSV from the Account page.' },
  {
    id: 'error-502',
    content:
      'Error 502 on the dashboard means the gateway could not reach the service; it usually clears within minutes.',
  },
  { id: 'lockout', content: 'Accounts are locked for 15 minutes after three failed login attempts.' },
];

interface Search {
  pipeline: { variant: 'candidate' | 'control'; index: string; retrieval: string; topK: number };
  phase: string;
  readOrder: string[];
  answeredBy: string | null;
  fellBack: boolean;
  hits: Array<{ id: string; index: string }>;
}

describe('chat service: RAG canary and embedding-migration routing', () => {
  let h: Harness;
  const captured = captureLog();
  const inCanary = (userId: string, percent: number) => bucketOf(CANARY, userId) < percentToPpm(percent);
  const userWhere = (prefix: string, candidate: boolean, percent: number): string => {
    for (let i = 0; ; i++) if (inCanary(`${prefix}-${i}`, percent) === candidate) return `${prefix}-${i}`;
  };
  const search = async (userId: string, query: string, tenant = 'acme') => {
    const r = await h.post<Search>('/search', { userId, query, tenant });
    expect(r.status, r.text).toBe(200);
    return r.body;
  };

  beforeAll(async () => {
    h = await startHarness({ initial: both(phase('dual-write'), canaryAt(50)), service: { log: captured.log } });
  });

  afterAll(async () => {
    await h?.close();
  });

  it('refuses client errors on POST /documents with 400 E_BAD_REQUEST (nothing stored), and keeps database text out of a 503', async () => {
    // Written by hand: JSON.stringify itself overflows the stack on 10 000 levels (as the store's did, giving a 503).
    const deep = `{"id":"deep","content":"x","metadata":${'{"d":'.repeat(10_000)}{"leaf":true}${'}'.repeat(10_000)}}`;
    const bad: Array<[string, string, unknown]> = [
      ['metadata nested 10 001 levels', 'deep', deep],
      ['metadata over 16 KiB', 'big', { id: 'big', content: 'x', metadata: { note: 'n'.repeat(20_000) } }],
      ['metadata not an object', 'array', { id: 'array', content: 'x', metadata: ['a'] }],
      ['NUL in content', 'nul', { id: 'nul', content: 'before\u0000after' }],
      ['NUL in metadata', 'nul-meta', { id: 'nul-meta', content: 'x', metadata: { k: 'a\u0000b' } }],
    ];
    for (const [what, id, body] of bad) {
      const r = await h.post<{ error: { code: string; message: string } }>('/documents', body);
      expect(r.status, what).toBe(400);
      expect(r.body.error.code, what).toBe('E_BAD_REQUEST');
      expect(await h.app.vectors.getDocument(id), what).toBeUndefined();
    }
    expect(await h.app.vectors.countDocuments()).toBe(0);

    // The store failing is ours (503, retryable); the database's own text goes to the log only.
    await h.app.vectors.client.exec('ALTER TABLE switchyard.documents RENAME TO documents_away');
    try {
      const r = await h.post<{ error: { code: string; message: string } }>('/documents', {
        id: 'during-outage',
        content: 'x',
      });
      expect(r.status).toBe(503);
      expect(r.body.error.code).toBe('E_SEARCH_UNAVAILABLE');
      expect(r.text).not.toMatch(/documents|relation|exist/i);
      const requestId = /request ([0-9a-f-]{36})/.exec(r.body.error.message)?.[1];
      expect(requestId).toBeDefined();
      expect(captured.lines).toContainEqual(
        expect.objectContaining({
          fields: expect.objectContaining({
            requestId,
            code: 'E_SEARCH_UNAVAILABLE',
            detail: expect.stringMatching(/documents/),
          }),
        }),
      );
    } finally {
      await h.app.vectors.client.exec('ALTER TABLE switchyard.documents_away RENAME TO documents');
    }
  });

  it('dual-write: new documents land in both indexes; reads stay on the old index for every pipeline', async () => {
    for (const doc of DOCS) {
      const r = await h.post<{ phase: string; writtenTo: Array<{ index: string; written: boolean }> }>('/documents', {
        ...doc,
        tenant: 'acme',
      });
      expect(r.status).toBe(201);
      expect(r.body.phase).toBe('dual-write');
      expect(r.body.writtenTo.map((t) => [t.index, t.written])).toEqual([
        ['docs-small', true],
        ['docs-large', true],
      ]);
    }
    expect(await h.app.vectors.countEmbeddings('docs-small')).toBe(DOCS.length);
    expect(await h.app.vectors.countEmbeddings('docs-large')).toBe(DOCS.length);

    const candidate = await search(userWhere('dw-user', true, 50), 'How long does a refund take?');
    expect(candidate.pipeline).toMatchObject({
      variant: 'candidate',
      index: 'docs-large',
      retrieval: 'hybrid',
      topK: 10,
    });
    // The phase gates: the new index is not read before dual-read, whatever the canary prefers.
    expect(candidate.readOrder).toEqual(['docs-small']);
    expect(candidate.answeredBy).toBe('docs-small');
    expect(candidate.hits[0]!.id).toBe('refunds');
    const control = await search(userWhere('dw-user', false, 50), 'How long does a refund take?');
    expect(control.pipeline).toMatchObject({ variant: 'control', index: 'docs-small', retrieval: 'semantic', topK: 5 });
    expect(control.hits).toHaveLength(5);
    expect(control.hits[0]!.id).toBe('refunds');
  });

  it('dual-read: every user reads the new index first (the phase owns the order); the canary picks retrieval and topK; a miss falls back', async () => {
    // Documents from before the migration existed: only in the old index (what the backfill re-embeds).
    const embedder = createEmbedder({ baseURL: h.models.baseUrl, apiKey: OFFLINE_API_KEY });
    await indexDocument(
      h.app.vectors,
      embedder,
      { phase: 'dual-write', write: [SMALL], read: [SMALL] },
      {
        id: 'legacy-sla',
        tenant: 'legacy-co',
        content: 'Legacy plans include a 99.5% uptime SLA with monthly credits.',
      },
    );

    await h.publish(both(phase('dual-read'), canaryAt(50)));
    const users = Array.from({ length: 200 }, (_, i) => `rag-user-${i}`);
    let candidates = 0;
    for (const userId of users) {
      const s = await search(userId, 'Where do I export my conversation history?');
      const expected = inCanary(userId, 50) ? 'candidate' : 'control';
      expect(s.pipeline.variant, userId).toBe(expected);
      expect(s.phase).toBe('dual-read');
      // The migration's phase decides the order of its pair for canary and control alike.
      expect(s.readOrder, userId).toEqual(['docs-large', 'docs-small']);
      expect(s.answeredBy, userId).toBe('docs-large');
      // The canary still decides retrieval mode and topK (6 acme documents: control gets its 5, candidate all 6).
      if (expected === 'candidate') {
        candidates++;
        expect(s.pipeline).toMatchObject({ index: 'docs-large', retrieval: 'hybrid', topK: 10 });
        expect(s.hits).toHaveLength(DOCS.length);
      } else {
        expect(s.pipeline).toMatchObject({ index: 'docs-small', retrieval: 'semantic', topK: 5 });
        expect(s.hits).toHaveLength(5);
      }
      expect(s.fellBack).toBe(false);
      expect(s.hits[0]!.id).toBe('export');
    }
    const share = candidates / users.length;
    console.log(
      `RAG canary 50 %: ${candidates}/${users.length} searches on the candidate pipeline (docs-large, hybrid, top 10)`,
    );
    expect(Math.abs(share - 0.5)).toBeLessThan(4 * Math.sqrt(0.25 / users.length));

    // The new index has nothing for this tenant yet: dual-read falls back to the old one, for both pipelines.
    for (const candidate of [true, false]) {
      const fallback = await search(
        userWhere('fallback-user', candidate, 50),
        'What uptime SLA do legacy plans have?',
        'legacy-co',
      );
      expect(fallback.readOrder).toEqual(['docs-large', 'docs-small']);
      expect(fallback.answeredBy).toBe('docs-small');
      expect(fallback.fellBack).toBe(true);
      expect(fallback.hits.map((x) => x.id)).toEqual(['legacy-sla']);
    }
  });

  it('a canary pipeline on an index outside the migration reads that index alone; an uncatalogued one keeps the phase order', async () => {
    const own = { model: 'text-embedding-3-small', dimension: 1536, index: 'docs-canary' };
    const embedder = createEmbedder({ baseURL: h.models.baseUrl, apiKey: OFFLINE_API_KEY });
    await indexDocument(
      h.app.vectors,
      embedder,
      { phase: 'complete', write: [own], read: [own] },
      { id: 'canary-only', tenant: 'acme', content: 'The beta assistant can draft replies to tickets for you.' },
    );
    const candidateOn =
      (index: string): Edit =>
      (p) =>
        editRollout(p, CANARY, { candidate: { embeddingModel: own.model, retrieval: 'hybrid', topK: 10, index } });

    await h.publish(both(phase('dual-read'), canaryAt(50), candidateOn('docs-canary')));
    const candidate = await search(userWhere('own-index-user', true, 50), 'Can the assistant draft replies?');
    expect(candidate.pipeline).toMatchObject({ variant: 'candidate', index: 'docs-canary' });
    expect(candidate.readOrder).toEqual(['docs-canary']);
    expect(candidate.answeredBy).toBe('docs-canary');
    expect(candidate.hits.map((x) => x.id)).toEqual(['canary-only']);
    const control = await search(userWhere('own-index-user', false, 50), 'Can the assistant draft replies?');
    expect(control.readOrder).toEqual(['docs-large', 'docs-small']);
    expect(control.hits.map((x) => x.id)).not.toContain('canary-only');

    // An index nobody built: the phase's order stands (never an empty read of a missing index).
    await h.publish(both(phase('dual-read'), canaryAt(50), candidateOn('docs-unbuilt')));
    const unbuilt = await search(userWhere('own-index-user', true, 50), 'Where do I export my conversation history?');
    expect(unbuilt.readOrder).toEqual(['docs-large', 'docs-small']);
    expect(unbuilt.hits[0]!.id).toBe('export');
  });

  it('complete: writes and reads only the new index; a chat turn answers from the routed passages', async () => {
    await h.publish(both(phase('complete'), canaryAt(50)));
    const r = await h.post<{ writtenTo: Array<{ index: string }> }>('/documents', {
      id: 'holidays',
      tenant: 'acme',
      content: 'Support is closed on public holidays; urgent issues go to the status page.',
    });
    expect(r.body.writtenTo.map((t) => t.index)).toEqual(['docs-large']);
    expect(await h.app.vectors.countEmbeddings('docs-small')).toBe(DOCS.length + 1);
    expect(await h.app.vectors.countEmbeddings('docs-large')).toBe(DOCS.length + 1);

    const control = await search(userWhere('complete-user', false, 50), 'Is support open on public holidays?');
    expect(control.pipeline.index).toBe('docs-small');
    expect(control.readOrder).toEqual(['docs-large']);
    expect(control.hits[0]!.id).toBe('holidays');

    const userId = userWhere('chat-rag-user', true, 50);
    const conv = await h.post<{ conversation: { id: string } }>('/conversations', { userId, tenant: 'acme' });
    const turn = await h.post<{ reply: { content: string }; search: Search }>(
      `/conversations/${conv.body.conversation.id}/messages`,
      { content: 'How long does a refund take?' },
    );
    expect(turn.status).toBe(200);
    expect(turn.body.search).toMatchObject({
      answeredBy: 'docs-large',
      pipeline: { variant: 'candidate', retrieval: 'hybrid' },
    });
    expect(turn.body.search.hits[0]!.id).toBe('refunds');
    expect(turn.body.reply.content).toContain('5 business days');
  });

  it('answers a chat turn without passages when search is unavailable, and says why', async () => {
    // A bundle without the embedding migration: the service cannot tell which index to read.
    await h.publish((p) => p.rollouts.delete(MIGRATION));
    const direct = await h.post<{ error: { code: string } }>('/search', { userId: 'no-route-user', query: 'refund' });
    expect(direct.status).toBe(503);
    expect(direct.body.error.code).toBe('E_SEARCH_UNAVAILABLE');
    const conv = await h.post<{ conversation: { id: string } }>('/conversations', { userId: 'no-route-user' });
    const turn = await h.post<{ reply: { content: string }; search: { error: { code: string } } }>(
      `/conversations/${conv.body.conversation.id}/messages`,
      { content: 'How long does a refund take?' },
    );
    expect(turn.status).toBe(200);
    expect(turn.body.search.error.code).toBe('E_SEARCH_UNAVAILABLE');
    expect(turn.body.reply.content.length).toBeGreaterThan(0);
  });
});
