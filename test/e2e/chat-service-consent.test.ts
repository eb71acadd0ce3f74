/**
 * Conversation model migrations in the chat service over HTTP:
 * - user consent migrates one conversation and records it (refused without consent, nothing changes;
 *   with consent: modelVersion, migratedAt, audit trail, a migration event; others untouched);
 * - a conversation on a retired snapshot is moved deliberately by the runtime's decision (`migrated`);
 * - a legacy (schema v1) conversation is upgraded lazily on read, unknown fields kept.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { editModel } from '../../examples/chat-service/src/demo-bundle.ts';
import { KILLED_CONSENT, RETIRED_CONSENT } from '../../examples/chat-service/src/service.ts';
import { NEW, OLD, ROLLOUT, rolloutAt, startHarness, type Harness } from './chat-service-harness.ts';

interface Conversation {
  id: string;
  userId: string;
  modelVersion: string;
  revision: number;
  schemaVersion: number;
  migratedAt?: string;
  modelHistory?: Array<{ from: string; to: string; at: string; consentBy: string; reason?: string }>;
  messages: Array<{ role: string; content: string; model: string }>;
  [field: string]: unknown;
}

interface MigrationRow {
  migration: string;
  key: string;
  subject_id: string | null;
  from_value: string;
  to_value: string;
}

describe('chat service: consented and deliberate model migrations, lazy schema upgrades', () => {
  let h: Harness;
  const migrationEvents = async (): Promise<MigrationRow[]> => {
    await h.flushEvents();
    return h.app.events.client.query<MigrationRow>(`SELECT migration, key, subject_id, from_value, to_value FROM switchyard.migration_events ORDER BY time_ms, seq`);
  };
  const conversation = async (id: string): Promise<Conversation> => (await h.get<{ conversation: Conversation }>(`/conversations/${id}`)).body.conversation;
  const create = async (userId: string): Promise<string> => {
    const r = await h.post<{ conversation: Conversation }>('/conversations', { userId });
    expect(r.status).toBe(201);
    return r.body.conversation.id;
  };

  beforeAll(async () => {
    h = await startHarness({ initial: rolloutAt(0) });
  }, 60_000);

  afterAll(async () => {
    await h?.close();
  });

  it('migrates one conversation only with its user\'s consent, and records it', async () => {
    const a = await create('consenting-user');
    const b = await create('other-user');
    await h.post(`/conversations/${a}/messages`, { content: 'What does error 502 mean?' });
    await h.publish(rolloutAt(100));
    const beforeA = await conversation(a);
    const beforeB = await conversation(b);
    expect(beforeA.modelVersion).toBe(OLD);

    // The offer: what a new conversation would get now; nothing changes by asking.
    const offer = await h.get<{ available: boolean; to: string; current: string; requiresConsent: boolean }>(`/conversations/${a}/model-migration`);
    expect(offer.body).toMatchObject({ available: true, to: NEW, current: OLD, requiresConsent: true });

    // Without consent (missing, false, a string, or from someone else): refused, unchanged.
    for (const body of [{}, { consent: false, userId: 'consenting-user' }, { consent: 'yes', userId: 'consenting-user' }, { consent: true, userId: 'other-user' }]) {
      const refused = await h.post<{ error: { code: string; message: string } }>(`/conversations/${a}/model-migration`, body);
      expect(refused.status, JSON.stringify(body)).toBe(403);
      expect(refused.body.error.code).toBe('E_CONSENT_REQUIRED');
      expect(refused.text).not.toMatch(/at .*\.ts:\d+/);
    }
    expect(await conversation(a)).toEqual(beforeA);
    expect((await migrationEvents()).filter((e) => e.subject_id === a)).toEqual([]);

    const done = await h.post<{ conversation: Conversation; migration: { from: string; to: string; consentBy: string; changed: boolean } }>(`/conversations/${a}/model-migration`, { consent: true, userId: 'consenting-user', to: NEW });
    expect(done.status).toBe(200);
    expect(done.body.migration).toMatchObject({ from: OLD, to: NEW, consentBy: 'consenting-user', changed: true });
    const afterA = await conversation(a);
    expect(afterA.modelVersion).toBe(NEW);
    expect(typeof afterA.migratedAt).toBe('string');
    expect(afterA.modelHistory).toEqual([expect.objectContaining({ from: OLD, to: NEW, consentBy: 'consenting-user', reason: 'user-consent' })]);
    expect(afterA.revision).toBe(beforeA.revision + 1);
    expect(afterA.messages).toEqual(beforeA.messages);
    expect(await migrationEvents()).toContainEqual({ migration: 'conversation-model', key: 'chat', subject_id: a, from_value: OLD, to_value: NEW });

    // The next turn runs on the new snapshot; the other conversation is untouched.
    const turn = await h.post<{ reply: { model: string }; model: { reason: string } }>(`/conversations/${a}/messages`, { content: 'And now?' });
    expect(turn.body.reply.model).toBe(NEW);
    expect(turn.body.model.reason).toBe('pinned');
    expect(await conversation(b)).toEqual(beforeB);
    expect((await migrationEvents()).filter((e) => e.subject_id === b)).toEqual([]);

    // Nothing left to migrate to.
    const again = await h.post<{ error: { code: string } }>(`/conversations/${a}/model-migration`, { consent: true, userId: 'consenting-user' });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('E_NO_MIGRATION_AVAILABLE');
  });

  it('moves conversations pinned to a killed rollout\'s snapshot back on their next turn, and records it', async () => {
    await h.publish(rolloutAt(100));
    const onNew = await create('killed-user');
    expect((await conversation(onNew)).modelVersion).toBe(NEW);
    await h.publish(rolloutAt(0));
    const onOld = await create('killed-user-old');
    expect((await conversation(onOld)).modelVersion).toBe(OLD);
    await h.publish(rolloutAt(100, { killed: true }));
    type TurnBody = { reply: { model: string }; model: { snapshot: string; reason: string }; migration: { from: string; to: string; reason: string } | null };
    const turn = await h.post<TurnBody>(`/conversations/${onNew}/messages`, { content: 'Is my data safe?' });
    expect(turn.status).toBe(200);
    expect(turn.body.model).toMatchObject({ snapshot: OLD, reason: 'killed' });
    expect(turn.body.migration).toEqual({ from: NEW, to: OLD, reason: 'killed' });
    expect(turn.body.reply.model).toBe(OLD);
    const after = await conversation(onNew);
    expect(after.modelVersion).toBe(OLD);
    expect(after.modelHistory).toEqual([expect.objectContaining({ from: NEW, to: OLD, consentBy: KILLED_CONSENT, reason: 'killed' })]);
    expect((await migrationEvents()).filter((e) => e.subject_id === onNew)).toEqual([{ migration: 'conversation-model', key: 'chat', subject_id: onNew, from_value: NEW, to_value: OLD }]);
    // A conversation on the model's own snapshot is not touched by the kill.
    const untouched = await h.post<TurnBody>(`/conversations/${onOld}/messages`, { content: 'Hello' });
    expect(untouched.body.model).toMatchObject({ snapshot: OLD, reason: 'pinned' });
    expect(untouched.body.migration).toBeNull();
    // Reviving the rollout does not move the conversation again: its pin is now the old snapshot.
    await h.publish(rolloutAt(100));
    const revived = await h.post<TurnBody>(`/conversations/${onNew}/messages`, { content: 'Thanks' });
    expect(revived.body.model).toMatchObject({ snapshot: OLD, reason: 'pinned' });
    expect(revived.body.migration).toBeNull();
    expect((await conversation(onNew)).modelHistory).toHaveLength(1);
  });

  it('moves a conversation off a retired snapshot deliberately (reason migrated) and records it', async () => {
    await h.publish(rolloutAt(0));
    const c = await create('retired-user');
    expect((await conversation(c)).modelVersion).toBe(OLD);
    // models/chat.yaml now serves the new snapshot and retires the old one; the rollout is finished.
    await h.publish((p) => {
      editModel(p, 'chat', { snapshot: NEW, retired: [OLD] });
      p.rollouts.delete(ROLLOUT);
    });
    const turn = await h.post<{ reply: { model: string }; model: { snapshot: string; reason: string }; migration: { from: string; to: string; reason: string } }>(`/conversations/${c}/messages`, { content: 'Is my data safe?' });
    expect(turn.status).toBe(200);
    expect(turn.body.model).toMatchObject({ snapshot: NEW, reason: 'migrated' });
    expect(turn.body.migration).toEqual({ from: OLD, to: NEW, reason: 'retired' });
    expect(turn.body.reply.model).toBe(NEW);
    const after = await conversation(c);
    expect(after.modelVersion).toBe(NEW);
    expect(after.modelHistory).toEqual([expect.objectContaining({ from: OLD, to: NEW, consentBy: RETIRED_CONSENT, reason: 'retired' })]);
    // The runtime's own migration event (resolveModel on a retired pin).
    expect((await migrationEvents()).filter((e) => e.subject_id === c)).toEqual([{ migration: 'conversation-model', key: 'chat', subject_id: c, from_value: OLD, to_value: NEW }]);
    // Later turns are plain pinned turns on the new snapshot, with no further migration.
    const next = await h.post<{ model: { reason: string }; migration: unknown }>(`/conversations/${c}/messages`, { content: 'Thanks' });
    expect(next.body.model.reason).toBe('pinned');
    expect(next.body.migration).toBeNull();
  });

  it('upgrades a legacy v1 conversation on read, keeping unknown fields, and serves it pinned', async () => {
    await h.publish(rolloutAt(0));
    const legacy = {
      id: 'legacy-v1-conversation',
      userId: 'legacy-user',
      created: '2024-05-20T10:00:00.000Z',
      messages: [
        { role: 'user', content: 'Hello' },
        { role: 'assistant', content: 'Hi! How can I help?' },
      ],
      crmTicket: { id: 4411, tags: ['vip'] },
    };
    expect(await h.app.conversations.importRecords([legacy])).toBe(1);
    const read = await h.get<{ conversation: Conversation; schemaUpgrade: { status: string; from: number; to: number; written: boolean } }>(`/conversations/${legacy.id}`);
    expect(read.status).toBe(200);
    expect(read.body.schemaUpgrade).toEqual({ status: 'upgraded', from: 1, to: 2, written: true });
    const c = read.body.conversation;
    expect(c).toMatchObject({ schemaVersion: 2, modelVersion: OLD, metadata: {}, createdAt: legacy.created, crmTicket: legacy.crmTicket });
    expect(c.messages.map((m) => m.model)).toEqual([OLD, OLD]);
    expect((await migrationEvents()).filter((e) => e.subject_id === legacy.id)).toEqual([{ migration: 'schema', key: 'conversation-schema-v2', subject_id: legacy.id, from_value: '1', to_value: '2' }]);
    // Stored upgraded: a second read has nothing to do.
    const again = await h.get<{ schemaUpgrade: { status: string } }>(`/conversations/${legacy.id}`);
    expect(again.body.schemaUpgrade.status).toBe('current');
    const turn = await h.post<{ reply: { model: string }; model: { reason: string } }>(`/conversations/${legacy.id}/messages`, { content: 'Can I export my history?' });
    expect(turn.status).toBe(200);
    expect(turn.body.model.reason).toBe('pinned');
    expect(turn.body.reply.model).toBe(OLD);
  });

  it('answers unknown conversations and bad requests with stable codes and no stack trace', async () => {
    const missing = await h.post<{ error: { code: string } }>('/conversations/nope/messages', { content: 'hi' });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('E_CONVERSATION_NOT_FOUND');
    const badJson = await fetch(`${h.url}/conversations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"userId":' });
    expect(badJson.status).toBe(400);
    expect(((await badJson.json()) as { error: { code: string } }).error.code).toBe('E_BAD_JSON');
    const noUser = await h.post<{ error: { code: string } }>('/conversations', { userId: 'has space' });
    expect(noUser.status).toBe(400);
    expect(noUser.body.error.code).toBe('E_BAD_REQUEST');
    const tooLong = await h.get<{ error: { code: string } }>(`/conversations/${'x'.repeat(600)}`);
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error.code).toBe('E_BAD_REQUEST');
    const method = await h.get<{ error: { code: string } }>('/conversations');
    expect(method.status).toBe(405);
    expect(method.body.error.code).toBe('E_METHOD_NOT_ALLOWED');
  });
});
