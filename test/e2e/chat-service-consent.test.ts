/**
 * Conversation model migrations in the chat service over HTTP:
 * - user consent migrates one conversation and records it (refused without consent, nothing changes;
 *   with consent: modelVersion, migratedAt, audit trail, a migration event; others untouched);
 * - a conversation on a retired snapshot is moved deliberately by the runtime's decision (`migrated`);
 * - a legacy (schema v1) conversation is upgraded lazily on read, unknown fields kept;
 * - a record the service cannot continue (schema upgrade failed, malformed, at its message cap) is
 *   refused with a stable code before the (paid) model is called;
 * - feedback is attributed to the rollout arm stored when the conversation was created, never to
 *   conversations that predate the rollout or were moved since (consent, kill switch);
 * - the bundle-swap history kept in memory is bounded.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bucketOf, percentToPpm } from '@switchyard/runtime/bundle';
import { editModel } from '../../examples/chat-service/demo/demo-bundle.ts';
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
    return h.app.events.client.query<MigrationRow>(
      `SELECT migration, key, subject_id, from_value, to_value FROM switchyard.migration_events ORDER BY time_ms, seq`,
    );
  };
  const conversation = async (id: string): Promise<Conversation> =>
    (await h.get<{ conversation: Conversation }>(`/conversations/${id}`)).body.conversation;
  const create = async (userId: string): Promise<string> => {
    const r = await h.post<{ conversation: Conversation }>('/conversations', { userId });
    expect(r.status).toBe(201);
    return r.body.conversation.id;
  };

  beforeAll(async () => {
    // A small message cap and swap history, so that both bounds are reached here (defaults 200 and 50).
    h = await startHarness({ initial: rolloutAt(0), service: { maxMessages: 6, swapHistory: 2 } });
  });

  afterAll(async () => {
    await h?.close();
  });

  it("migrates one conversation only with its user's consent, and records it", async () => {
    const a = await create('consenting-user');
    const b = await create('other-user');
    await h.post(`/conversations/${a}/messages`, { content: 'What does error 502 mean?' });
    await h.publish(rolloutAt(100));
    const beforeA = await conversation(a);
    const beforeB = await conversation(b);
    expect(beforeA.modelVersion).toBe(OLD);

    // The offer: what a new conversation would get now; nothing changes by asking.
    const offer = await h.get<{ available: boolean; to: string; current: string; requiresConsent: boolean }>(
      `/conversations/${a}/model-migration`,
    );
    expect(offer.body).toMatchObject({ available: true, to: NEW, current: OLD, requiresConsent: true });

    // Without consent (missing, false, a string, or from someone else): refused, unchanged.
    for (const body of [
      {},
      { consent: false, userId: 'consenting-user' },
      { consent: 'yes', userId: 'consenting-user' },
      { consent: true, userId: 'other-user' },
    ]) {
      const refused = await h.post<{ error: { code: string; message: string } }>(
        `/conversations/${a}/model-migration`,
        body,
      );
      expect(refused.status, JSON.stringify(body)).toBe(403);
      expect(refused.body.error.code).toBe('E_CONSENT_REQUIRED');
      expect(refused.text).not.toMatch(/at .*\.ts:\d+/);
    }
    expect(await conversation(a)).toEqual(beforeA);
    expect((await migrationEvents()).filter((e) => e.subject_id === a)).toEqual([]);

    const done = await h.post<{
      conversation: Conversation;
      migration: { from: string; to: string; consentBy: string; changed: boolean };
    }>(`/conversations/${a}/model-migration`, { consent: true, userId: 'consenting-user', to: NEW });
    expect(done.status).toBe(200);
    expect(done.body.migration).toMatchObject({ from: OLD, to: NEW, consentBy: 'consenting-user', changed: true });
    const afterA = await conversation(a);
    expect(afterA.modelVersion).toBe(NEW);
    expect(typeof afterA.migratedAt).toBe('string');
    expect(afterA.modelHistory).toEqual([
      expect.objectContaining({ from: OLD, to: NEW, consentBy: 'consenting-user', reason: 'user-consent' }),
    ]);
    expect(afterA.revision).toBe(beforeA.revision + 1);
    expect(afterA.messages).toEqual(beforeA.messages);
    expect(await migrationEvents()).toContainEqual({
      migration: 'conversation-model',
      key: 'chat',
      subject_id: a,
      from_value: OLD,
      to_value: NEW,
    });

    // The next turn runs on the new snapshot; the other conversation is untouched.
    const turn = await h.post<{ reply: { model: string }; model: { reason: string } }>(`/conversations/${a}/messages`, {
      content: 'And now?',
    });
    expect(turn.body.reply.model).toBe(NEW);
    expect(turn.body.model.reason).toBe('pinned');
    expect(await conversation(b)).toEqual(beforeB);
    expect((await migrationEvents()).filter((e) => e.subject_id === b)).toEqual([]);

    // Nothing left to migrate to.
    const again = await h.post<{ error: { code: string } }>(`/conversations/${a}/model-migration`, {
      consent: true,
      userId: 'consenting-user',
    });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('E_NO_MIGRATION_AVAILABLE');
  });

  it("moves conversations pinned to a killed rollout's snapshot back on their next turn, and records it", async () => {
    await h.publish(rolloutAt(100));
    const onNew = await create('killed-user');
    expect((await conversation(onNew)).modelVersion).toBe(NEW);
    await h.publish(rolloutAt(0));
    const onOld = await create('killed-user-old');
    expect((await conversation(onOld)).modelVersion).toBe(OLD);
    await h.publish(rolloutAt(100, { killed: true }));
    type TurnBody = {
      reply: { model: string };
      model: { snapshot: string; reason: string };
      migration: { from: string; to: string; reason: string } | null;
    };
    const turn = await h.post<TurnBody>(`/conversations/${onNew}/messages`, { content: 'Is my data safe?' });
    expect(turn.status).toBe(200);
    expect(turn.body.model).toMatchObject({ snapshot: OLD, reason: 'killed' });
    expect(turn.body.migration).toEqual({ from: NEW, to: OLD, reason: 'killed' });
    expect(turn.body.reply.model).toBe(OLD);
    const after = await conversation(onNew);
    expect(after.modelVersion).toBe(OLD);
    expect(after.modelHistory).toEqual([
      expect.objectContaining({ from: NEW, to: OLD, consentBy: KILLED_CONSENT, reason: 'killed' }),
    ]);
    expect((await migrationEvents()).filter((e) => e.subject_id === onNew)).toEqual([
      { migration: 'conversation-model', key: 'chat', subject_id: onNew, from_value: NEW, to_value: OLD },
    ]);
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

  it('keeps creating v2 conversations once the finished schema migration is removed from the bundle', async () => {
    await h.publish((p) => {
      rolloutAt(0)(p);
      p.rollouts.delete('conversation-schema-v2');
    });
    const r = await h.post<{ conversation: Conversation & { schemaVersion: number } }>('/conversations', {
      userId: 'after-plan-removed',
    });
    expect(r.status).toBe(201);
    expect(r.body.conversation.schemaVersion).toBe(2);
    await h.publish(rolloutAt(0));
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
    const turn = await h.post<{
      reply: { model: string };
      model: { snapshot: string; reason: string };
      migration: { from: string; to: string; reason: string };
    }>(`/conversations/${c}/messages`, { content: 'Is my data safe?' });
    expect(turn.status).toBe(200);
    expect(turn.body.model).toMatchObject({ snapshot: NEW, reason: 'migrated' });
    expect(turn.body.migration).toEqual({ from: OLD, to: NEW, reason: 'retired' });
    expect(turn.body.reply.model).toBe(NEW);
    const after = await conversation(c);
    expect(after.modelVersion).toBe(NEW);
    expect(after.modelHistory).toEqual([
      expect.objectContaining({ from: OLD, to: NEW, consentBy: RETIRED_CONSENT, reason: 'retired' }),
    ]);
    // The runtime's own migration event (resolveModel on a retired pin).
    expect((await migrationEvents()).filter((e) => e.subject_id === c)).toEqual([
      { migration: 'conversation-model', key: 'chat', subject_id: c, from_value: OLD, to_value: NEW },
    ]);
    // Later turns are plain pinned turns on the new snapshot, with no further migration.
    const next = await h.post<{ model: { reason: string }; migration: unknown }>(`/conversations/${c}/messages`, {
      content: 'Thanks',
    });
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
    const read = await h.get<{
      conversation: Conversation;
      schemaUpgrade: { status: string; from: number; to: number; written: boolean };
    }>(`/conversations/${legacy.id}`);
    expect(read.status).toBe(200);
    expect(read.body.schemaUpgrade).toEqual({ status: 'upgraded', from: 1, to: 2, written: true });
    const c = read.body.conversation;
    expect(c).toMatchObject({
      schemaVersion: 2,
      modelVersion: OLD,
      metadata: {},
      createdAt: legacy.created,
      crmTicket: legacy.crmTicket,
    });
    expect(c.messages.map((m) => m.model)).toEqual([OLD, OLD]);
    expect((await migrationEvents()).filter((e) => e.subject_id === legacy.id)).toEqual([
      { migration: 'schema', key: 'conversation-schema-v2', subject_id: legacy.id, from_value: '1', to_value: '2' },
    ]);
    // Stored upgraded: a second read has nothing to do.
    const again = await h.get<{ schemaUpgrade: { status: string } }>(`/conversations/${legacy.id}`);
    expect(again.body.schemaUpgrade.status).toBe('current');
    const turn = await h.post<{ reply: { model: string }; model: { reason: string } }>(
      `/conversations/${legacy.id}/messages`,
      { content: 'Can I export my history?' },
    );
    expect(turn.status).toBe(200);
    expect(turn.body.model.reason).toBe('pinned');
    expect(turn.body.reply.model).toBe(OLD);
  });

  it('refuses a turn on a record it cannot continue with E_CONVERSATION_UNSUPPORTED, before any model call', async () => {
    await h.publish(rolloutAt(0));
    const createdAt = '2024-05-20T10:00:00.000Z';
    expect(
      await h.app.conversations.importRecords([
        // A version the bundle's migration (1 → 2) cannot upgrade: its lazy upgrade fails.
        { id: 'future-v7', userId: 'future-user', schemaVersion: 7, modelVersion: OLD, createdAt, messages: [] },
        // Current version, but not a conversation's shape.
        {
          id: 'broken-messages',
          userId: 'broken-user',
          schemaVersion: 2,
          modelVersion: OLD,
          createdAt,
          metadata: {},
          messages: 'not a list',
        },
        { id: 'numeric-user', userId: 42, schemaVersion: 2, modelVersion: OLD, createdAt, metadata: {}, messages: [] },
      ]),
    ).toBe(3);
    for (const id of ['future-v7', 'broken-messages', 'numeric-user']) {
      const before = await h.get<{ conversation: Conversation; schemaUpgrade: { status: string } }>(
        `/conversations/${id}`,
      );
      expect(before.status, id).toBe(200);
      const calls = { ...h.models.stats, byModel: { ...h.models.stats.byModel } };
      const turn = await h.post<{ error: { code: string; message: string } }>(`/conversations/${id}/messages`, {
        content: 'Hello?',
      });
      expect(turn.status, id).toBe(409);
      expect(turn.body.error.code, id).toBe('E_CONVERSATION_UNSUPPORTED');
      // Refused up front: no retrieval embedding, no chat completion (the user is never billed for an answer thrown away).
      expect(h.models.stats.chat, id).toBe(calls.chat);
      expect(h.models.stats.embeddings, id).toBe(calls.embeddings);
      expect((await h.get<{ conversation: Conversation }>(`/conversations/${id}`)).body.conversation, id).toEqual(
        before.body.conversation,
      );
      const offer = await h.get<{ error: { code: string } }>(`/conversations/${id}/model-migration`);
      expect(offer.status, id).toBe(409);
      expect(offer.body.error.code, id).toBe('E_CONVERSATION_UNSUPPORTED');
    }
  });

  it('refuses a turn past the message cap with E_CONVERSATION_FULL, before any model call', async () => {
    const id = await create('chatty-user');
    for (let i = 0; i < 3; i++)
      expect((await h.post(`/conversations/${id}/messages`, { content: `Question ${i}` })).status).toBe(200);
    const chats = h.models.stats.chat;
    const full = await h.post<{ error: { code: string; message: string } }>(`/conversations/${id}/messages`, {
      content: 'One more?',
    });
    expect(full.status).toBe(409);
    expect(full.body.error.code).toBe('E_CONVERSATION_FULL');
    expect(full.body.error.message).toMatch(/start a new conversation/);
    expect(h.models.stats.chat).toBe(chats);
    expect((await conversation(id)).messages).toHaveLength(6);
  });

  it('attributes feedback to the rollout arm stored at creation, not to conversations that predate the rollout or were moved', async () => {
    type Recorded = Array<{ subject: string; key: string; variant: string }>;
    type Decision = { rollout: string | null; variant: string | null; serial: number; rule: string; snapshot: string };
    const inRollout = (userId: string, percent: number) => bucketOf(ROLLOUT, userId) < percentToPpm(percent);
    const userWhere = (prefix: string, candidate: boolean): string => {
      for (let i = 0; ; i++) if (inRollout(`${prefix}-${i}`, 50) === candidate) return `${prefix}-${i}`;
    };
    const rolloutArm = async (id: string): Promise<Recorded> => {
      const turn = await h.post<{ requestId: string }>(`/conversations/${id}/messages`, {
        content: 'Was this helpful?',
      });
      expect(turn.status).toBe(200);
      const fb = await h.post<{ recorded: Recorded }>('/feedback', {
        requestId: turn.body.requestId,
        metric: 'relevance',
        value: 1,
      });
      expect(fb.status).toBe(202);
      return fb.body.recorded.filter((a) => a.subject === 'model-rollout');
    };

    // Before the rollout exposes anyone (0 %: shadow only): no arm, even for a user who would be in it later.
    const zeroSerial = await h.publish(rolloutAt(0));
    const early = await create(userWhere('attr-early', false));
    expect((await conversation(early)).modelDecision).toEqual({
      alias: 'chat',
      snapshot: OLD,
      rule: 'default',
      serial: zeroSerial,
      rollout: null,
      variant: null,
    });

    const serial = await h.publish(rolloutAt(50));
    const candidate = await create(userWhere('attr-candidate', true));
    const control = await create(userWhere('attr-control', false));
    const consenting = await create(userWhere('attr-consent', false));
    const killed = await create(userWhere('attr-killed', true));
    expect((await conversation(candidate)).modelDecision).toEqual({
      alias: 'chat',
      snapshot: NEW,
      rule: 'rollout',
      serial,
      rollout: ROLLOUT,
      variant: 'candidate',
    });
    expect((await conversation(control)).modelDecision as Decision).toMatchObject({
      snapshot: OLD,
      rule: 'default',
      serial,
      rollout: ROLLOUT,
      variant: 'control',
    });

    // A later stage: the stored decision still decides (the conversations' own arms, randomised at 50 %).
    await h.publish(rolloutAt(100));
    expect(await rolloutArm(candidate)).toEqual([{ subject: 'model-rollout', key: ROLLOUT, variant: 'candidate' }]);
    expect(await rolloutArm(control)).toEqual([{ subject: 'model-rollout', key: ROLLOUT, variant: 'control' }]);
    // Pinned to the old snapshot since before the rollout: not its control.
    expect(await rolloutArm(early)).toEqual([]);
    // Moved by consent onto the candidate snapshot: not randomised into it, not counted.
    const moved = await h.post(`/conversations/${consenting}/model-migration`, {
      consent: true,
      userId: (await conversation(consenting)).userId,
    });
    expect(moved.status).toBe(200);
    expect(await rolloutArm(consenting)).toEqual([]);
    // Moved back by the kill switch: not counted as control.
    await h.publish(rolloutAt(100, { killed: true }));
    expect(await rolloutArm(killed)).toEqual([]);
    expect((await conversation(killed)).modelVersion).toBe(OLD);

    // The metric rows the analysis reads: only the two randomised conversations count for the rollout.
    await h.flushEvents();
    const rows = await h.app.events.client.query<{ variant: string; n: number | string }>(
      `SELECT variant, count(*) AS n FROM switchyard.metrics WHERE subject = 'model-rollout' AND key = $1 AND metric = 'relevance' GROUP BY variant ORDER BY variant`,
      [ROLLOUT],
    );
    expect(rows.map((r) => [r.variant, Number(r.n)])).toEqual([
      ['candidate', 1],
      ['control', 1],
    ]);
  });

  it('keeps a bounded bundle-swap history and counts every swap', async () => {
    const status = await h.get<{ bundle: { swaps: number; serial: number } }>('/status');
    // Every test above published at least once: many more swaps than the two kept.
    expect(status.body.bundle.swaps).toBeGreaterThan(5);
    expect(status.body.bundle.swaps).toBe(h.app.swapCount());
    const kept = h.app.swaps();
    expect(kept).toHaveLength(2);
    expect(kept[1]!.serial).toBe(status.body.bundle.serial);
  });

  it('answers unknown conversations and bad requests with stable codes and no stack trace', async () => {
    const missing = await h.post<{ error: { code: string } }>('/conversations/nope/messages', { content: 'hi' });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('E_CONVERSATION_NOT_FOUND');
    const badJson = await fetch(`${h.url}/conversations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"userId":',
    });
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
