/**
 * RAG routing in the chat service over HTTP: the canary (`rag-hybrid-large`) picks the pipeline per
 * user in its share; the embedding migration's phase (`docs-embeddings-3-large`) decides where
 * documents are written (dual-write: both indexes) and in which order indexes are read (dual-read:
 * new first, old as fallback; complete: new only). Real PGlite + pgvector, the offline embeddings API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bucketOf, percentToPpm } from '../../packages/runtime/src/index.ts';
import { editRollout } from '../../examples/chat-service/src/demo-bundle.ts';
import { OFFLINE_API_KEY } from '../../src/eval/endpoint.ts';
import { createEmbedder, indexDocument } from '../../src/vectors/index.ts';
import { both, startHarness, type Edit, type Harness } from './chat-service-harness.ts';

const CANARY = 'rag-hybrid-large';
const MIGRATION = 'docs-embeddings-3-large';
const SMALL = { model: 'text-embedding-3-small', dimension: 1536, index: 'docs-small' };

const phase = (p: string): Edit => (project) => editRollout(project, MIGRATION, { phase: p });
const canaryAt = (percent: number): Edit => (project) => editRollout(project, CANARY, { percent });

const DOCS = [
  { id: 'refunds', content: 'Refunds are issued to the original payment method within 5 business days.' },
  { id: 'password-reset', content: 'If the password reset email never arrives, check the spam folder and ask an admin to resend it.' },
  { id: 'invite', content: 'Workspace owners invite teammates from Settings, Members, Invite by email.' },
  { id: 'export', content: 'Conversation history can be exported as CSV from the Account page.' },
  { id: 'error-502', content: 'Error 502 on the dashboard means the gateway could not reach the service; it usually clears within minutes.' },
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
    h = await startHarness({ initial: both(phase('dual-write'), canaryAt(50)) });
  }, 60_000);

  afterAll(async () => {
    await h?.close();
  });

  it('dual-write: new documents land in both indexes; reads stay on the old index for every pipeline', async () => {
    for (const doc of DOCS) {
      const r = await h.post<{ phase: string; writtenTo: Array<{ index: string; written: boolean }> }>('/documents', { ...doc, tenant: 'acme' });
      expect(r.status).toBe(201);
      expect(r.body.phase).toBe('dual-write');
      expect(r.body.writtenTo.map((t) => [t.index, t.written])).toEqual([['docs-small', true], ['docs-large', true]]);
    }
    expect(await h.app.vectors.countEmbeddings('docs-small')).toBe(DOCS.length);
    expect(await h.app.vectors.countEmbeddings('docs-large')).toBe(DOCS.length);

    const candidate = await search(userWhere('dw-user', true, 50), 'How long does a refund take?');
    expect(candidate.pipeline).toMatchObject({ variant: 'candidate', index: 'docs-large', retrieval: 'hybrid', topK: 10 });
    // The phase gates: the new index is not read before dual-read, whatever the canary prefers.
    expect(candidate.readOrder).toEqual(['docs-small']);
    expect(candidate.answeredBy).toBe('docs-small');
    expect(candidate.hits[0]!.id).toBe('refunds');
    const control = await search(userWhere('dw-user', false, 50), 'How long does a refund take?');
    expect(control.pipeline).toMatchObject({ variant: 'control', index: 'docs-small', retrieval: 'semantic', topK: 5 });
    expect(control.hits).toHaveLength(5);
    expect(control.hits[0]!.id).toBe('refunds');
  });

  it('dual-read: the canary share reads the new index first, control the old; a miss falls back', async () => {
    // Documents from before the migration existed: only in the old index (what the backfill re-embeds).
    const embedder = createEmbedder({ baseURL: h.models.baseUrl, apiKey: OFFLINE_API_KEY });
    await indexDocument(h.app.vectors, embedder, { phase: 'dual-write', write: [SMALL], read: [SMALL] }, { id: 'legacy-sla', tenant: 'legacy-co', content: 'Legacy plans include a 99.5% uptime SLA with monthly credits.' });

    await h.publish(both(phase('dual-read'), canaryAt(50)));
    const users = Array.from({ length: 200 }, (_, i) => `rag-user-${i}`);
    let candidates = 0;
    for (const userId of users) {
      const s = await search(userId, 'Where do I export my conversation history?');
      const expected = inCanary(userId, 50) ? 'candidate' : 'control';
      expect(s.pipeline.variant, userId).toBe(expected);
      expect(s.phase).toBe('dual-read');
      if (expected === 'candidate') {
        candidates++;
        expect(s.readOrder).toEqual(['docs-large', 'docs-small']);
        expect(s.answeredBy).toBe('docs-large');
      } else {
        expect(s.readOrder).toEqual(['docs-small', 'docs-large']);
        expect(s.answeredBy).toBe('docs-small');
      }
      expect(s.fellBack).toBe(false);
      expect(s.hits[0]!.id).toBe('export');
    }
    const share = candidates / users.length;
    console.log(`RAG canary 50 %: ${candidates}/${users.length} searches on the candidate pipeline (docs-large, hybrid, top 10)`);
    expect(Math.abs(share - 0.5)).toBeLessThan(4 * Math.sqrt(0.25 / users.length));

    // The new index has nothing for this tenant yet: dual-read falls back to the old one.
    const fallback = await search(userWhere('fallback-user', true, 50), 'What uptime SLA do legacy plans have?', 'legacy-co');
    expect(fallback.readOrder).toEqual(['docs-large', 'docs-small']);
    expect(fallback.answeredBy).toBe('docs-small');
    expect(fallback.fellBack).toBe(true);
    expect(fallback.hits.map((x) => x.id)).toEqual(['legacy-sla']);
  });

  it('complete: writes and reads only the new index; a chat turn answers from the routed passages', async () => {
    await h.publish(both(phase('complete'), canaryAt(50)));
    const r = await h.post<{ writtenTo: Array<{ index: string }> }>('/documents', { id: 'holidays', tenant: 'acme', content: 'Support is closed on public holidays; urgent issues go to the status page.' });
    expect(r.body.writtenTo.map((t) => t.index)).toEqual(['docs-large']);
    expect(await h.app.vectors.countEmbeddings('docs-small')).toBe(DOCS.length + 1);
    expect(await h.app.vectors.countEmbeddings('docs-large')).toBe(DOCS.length + 1);

    const control = await search(userWhere('complete-user', false, 50), 'Is support open on public holidays?');
    expect(control.pipeline.index).toBe('docs-small');
    expect(control.readOrder).toEqual(['docs-large']);
    expect(control.hits[0]!.id).toBe('holidays');

    const userId = userWhere('chat-rag-user', true, 50);
    const conv = await h.post<{ conversation: { id: string } }>('/conversations', { userId, tenant: 'acme' });
    const turn = await h.post<{ reply: { content: string }; search: Search }>(`/conversations/${conv.body.conversation.id}/messages`, { content: 'How long does a refund take?' });
    expect(turn.status).toBe(200);
    expect(turn.body.search).toMatchObject({ answeredBy: 'docs-large', pipeline: { variant: 'candidate', retrieval: 'hybrid' } });
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
    const turn = await h.post<{ reply: { content: string }; search: { error: { code: string } } }>(`/conversations/${conv.body.conversation.id}/messages`, { content: 'How long does a refund take?' });
    expect(turn.status).toBe(200);
    expect(turn.body.search.error.code).toBe('E_SEARCH_UNAVAILABLE');
    expect(turn.body.reply.content.length).toBeGreaterThan(0);
  });
});
