/**
 * The chat service on the machine's PostgreSQL (through `pg`, no pgvector there: the vector store
 * falls back to `real[]` with exact search) instead of the embedded PGlite: one pool shared by the
 * event store, conversations, vectors and the service's table, in schemas unique to this run and
 * dropped afterwards. Same HTTP API, same behaviour.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPgClient } from '@switchyard/data';
import { PG_URL } from '../../packages/data/test/store/fixtures.ts';
import { NEW, OLD, rolloutAt, startHarness, waitFor, type Harness } from './chat-service-harness.ts';
import { needs } from '../helpers/capabilities.ts';

const postgres = await needs('postgres');

describe.skipIf(postgres.skip)(postgres.title('chat service on PostgreSQL'), () => {
  const run = randomBytes(4).toString('hex');
  const schema = `cs_e2e_${run}`;
  const serviceSchema = `cs_e2e_${run}_svc`;
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({
      initial: rolloutAt(50, { sampleRate: 1 }),
      service: { database: { kind: 'postgres', url: PG_URL }, schema, serviceSchema },
    });
  });

  afterAll(async () => {
    await h?.close();
    const admin = openPgClient({ connectionString: PG_URL, max: 1 });
    await admin.exec(`DROP SCHEMA IF EXISTS "${schema}" CASCADE; DROP SCHEMA IF EXISTS "${serviceSchema}" CASCADE;`);
    await admin.close();
  });

  it('serves conversations, RAG, shadows and events from PostgreSQL', async () => {
    expect((await h.get<{ database: { backend: string } }>('/status')).body.database.backend).toBe('postgres');
    const doc = await h.post<{ writtenTo: Array<{ index: string; written: boolean }> }>('/documents', {
      id: 'refunds',
      content: 'Refunds are issued to the original payment method within 5 business days.',
    });
    expect(doc.status).toBe(201);
    expect(doc.body.writtenTo.map((t) => t.written)).toEqual([true, true]);
    expect(h.app.vectors.vectorType).toBe('real[]');

    const ids: Record<string, string> = {};
    const models: Record<string, string> = {};
    for (const userId of ['pg-user-1', 'pg-user-2', 'pg-user-3', 'pg-user-4', 'pg-user-5', 'pg-user-6']) {
      const c = await h.post<{ conversation: { id: string; modelVersion: string } }>('/conversations', { userId });
      expect(c.status).toBe(201);
      expect([OLD, NEW]).toContain(c.body.conversation.modelVersion);
      ids[userId] = c.body.conversation.id;
      models[userId] = c.body.conversation.modelVersion;
      const t = await h.post<{ reply: { content: string; model: string } }>(
        `/conversations/${c.body.conversation.id}/messages`,
        { content: 'How long does a refund take?' },
      );
      expect(t.status).toBe(200);
      expect(t.body.reply.model).toBe(c.body.conversation.modelVersion);
      expect(t.body.reply.content).toContain('5 business days');
    }
    // Every turn on the old snapshot was shadowed to the new one (sample rate 1), after its answer.
    const expected = Object.values(models).filter((m) => m === OLD).length;
    expect(expected).toBeGreaterThan(0);
    await waitFor('the shadow pairs', () => h.app.shadows.stats().recorded === expected);
    await h.flushEvents();
    const counts = await h.app.events.queries.counts();
    expect(counts.exposures).toBeGreaterThanOrEqual(6);
    expect(counts.shadow_pairs).toBe(expected);
    const stored = await h.get<{ conversation: { messages: unknown[] } }>(`/conversations/${ids['pg-user-1']}`);
    expect(stored.body.conversation.messages).toHaveLength(2);
  });
});
