import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConversationError,
  openConversationRepository,
  type ConversationEvent,
  type ConversationMigration,
  type ConversationRepository,
} from '../../src/conversations/index.ts';
import { quoteIdent, type SqlClient } from '../../src/store/sql-client.ts';
import { V2, legacyRecord, openBackend, type Backend } from './fixtures.ts';
import { needs } from '../../../../test/helpers/capabilities.ts';

const postgres = await needs('postgres');

async function storedText(client: SqlClient, schema: string, id: string): Promise<string> {
  const rows = await client.query<{ t: string }>(
    `SELECT record::text AS t FROM ${quoteIdent(schema)}.conversations WHERE id = $1`,
    [id],
  );
  return rows[0]?.t ?? '';
}

async function rejectsWith(p: Promise<unknown>, code: string): Promise<void> {
  const error = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConversationError);
  expect((error as ConversationError).code).toBe(code);
}

for (const backend of ['pglite', 'postgres'] satisfies Backend[])
  describe.skipIf(backend === 'postgres' && postgres.skip)(
    backend === 'postgres'
      ? postgres.title(`conversation repository on postgres`)
      : `conversation repository on pglite`,
    () => {
      let client: SqlClient;
      let schema: string;
      let done: () => Promise<void>;
      let repo: ConversationRepository;
      const events: ConversationEvent[] = [];
      let clock = Date.UTC(2026, 1, 1, 12);

      beforeAll(async () => {
        ({ client, schema, done } = await openBackend(backend, 'conv_repo'));
        repo = await openConversationRepository(client, {
          schema,
          migration: () => V2,
          onEvent: (e) => events.push(e),
          now: () => new Date((clock += 1000)),
        });
      });
      afterAll(async () => {
        await done();
      });

      it('creates a pinned conversation with the current schema and reads it back', async () => {
        const c = await repo.create({
          id: 'new-1',
          userId: 'u1',
          modelVersion: 'gpt-4o-2024-08-06',
          messages: [{ role: 'user', content: 'hi' }],
          plan: { tier: 'pro' },
        });
        expect(c.revision).toBe(1);
        expect(c.record).toMatchObject({
          id: 'new-1',
          userId: 'u1',
          modelVersion: 'gpt-4o-2024-08-06',
          schemaVersion: 2,
          plan: { tier: 'pro' },
          metadata: {},
        });
        expect(c.record.messages[0]).toEqual({
          role: 'user',
          content: 'hi',
          model: 'gpt-4o-2024-08-06',
          timestamp: c.record.messages[0]?.timestamp,
        });
        expect(Date.parse(c.record.createdAt)).toBeGreaterThan(0);
        const read = await repo.get('new-1');
        expect(read?.record).toEqual(c.record);
        expect(read?.upgrade).toEqual({ status: 'current', version: 2 });
        await rejectsWith(repo.create({ id: 'new-1', userId: 'u1', modelVersion: 'x' }), 'E_CONVERSATION_EXISTS');
        await rejectsWith(repo.create({ userId: 'u1', modelVersion: '' }), 'E_CONVERSATION_INVALID');
        expect(await repo.get('absent')).toBeNull();
      });

      it('upgrades a legacy record on read, writes it back once and keeps every unknown field', async () => {
        const legacy: Record<string, unknown> = { ...legacyRecord(15), id: 'legacy-15' }; // 15: has extra (nested) and no metadata
        expect(await repo.importRecords([legacy])).toBe(1);
        const first = await repo.get('legacy-15');
        expect(first?.upgrade).toEqual({ status: 'upgraded', from: 1, to: 2, written: true });
        expect(first?.revision).toBe(2);
        const r = first?.record as Record<string, unknown>;
        expect(r.schemaVersion).toBe(2);
        expect(r.createdAt).toBe(legacy.created);
        expect(r.created).toBeUndefined();
        expect(r.extra).toEqual(legacy.extra);
        expect(r.metadata).toEqual({});
        const messages = r.messages as Array<Record<string, unknown>>;
        expect(messages[0]).toMatchObject({
          model: 'gpt-4o-2024-05-13',
          attachments: [{ kind: 'image', meta: { w: 10, h: 15 } }],
        });
        expect(messages[1]).toMatchObject({ tokens: { prompt: 15, completion: 30 } });
        const text = await storedText(client, schema, 'legacy-15');
        expect(JSON.parse(text)).toEqual(first?.record);
        const second = await repo.get('legacy-15');
        expect(second?.upgrade).toEqual({ status: 'current', version: 2 });
        expect(second?.revision).toBe(2);
        expect(await storedText(client, schema, 'legacy-15')).toBe(text);
        expect(events.filter((e) => e.subjectId === 'legacy-15')).toEqual([
          {
            type: 'migration',
            time: expect.any(Number),
            migration: 'schema',
            key: 'conversation-schema-v2',
            subjectId: 'legacy-15',
            from: '1',
            to: '2',
          },
        ]);
      });

      it('lets a concurrent writer win during a lazy upgrade and upgrades its record instead', async () => {
        await repo.importRecords([{ id: 'race-1', userId: 'u9', messages: [{ role: 'user', content: 'q' }] }]);
        let raced = false;
        // A client that lets "another process" write the row between the lazy read and its write.
        const racing: SqlClient = {
          ...client,
          async query<R extends object>(text: string, params?: unknown[]) {
            if (!raced && text.trimStart().startsWith('UPDATE') && params?.[0] === 'race-1') {
              raced = true;
              await client.query(
                `UPDATE ${quoteIdent(schema)}.conversations SET record = jsonb_set(record, '{fromOtherWriter}', 'true'), revision = revision + 1 WHERE id = 'race-1'`,
              );
            }
            return client.query<R>(text, params);
          },
        };
        const racingRepo = await openConversationRepository(racing, { schema, migration: V2, skipSchemaSetup: true });
        const read = await racingRepo.get('race-1');
        expect(raced).toBe(true);
        expect(read?.revision).toBe(3); // 1 imported, 2 the other writer, 3 the upgrade of its record
        expect(read?.record).toMatchObject({ fromOtherWriter: true, schemaVersion: 2, metadata: {} });
        expect(JSON.parse(await storedText(client, schema, 'race-1'))).toEqual(read?.record);
      });

      it('appends messages with optimistic concurrency', async () => {
        const c = await repo.create({ id: 'append-1', userId: 'u2', modelVersion: 'gpt-4o-2024-05-13' });
        const a = await repo.appendMessages(
          'append-1',
          [
            { role: 'user', content: 'one' },
            {
              role: 'assistant',
              content: 'two',
              model: 'gpt-4o-2024-05-13',
              timestamp: '2026-01-01T00:00:00.000Z',
              usage: { tokens: 3 },
            },
          ],
          { expectedRevision: c.revision },
        );
        expect(a.revision).toBe(2);
        expect(a.record.messages.map((m) => m.content)).toEqual(['one', 'two']);
        expect(a.record.messages[1]).toMatchObject({ timestamp: '2026-01-01T00:00:00.000Z', usage: { tokens: 3 } });
        await rejectsWith(
          repo.appendMessages('append-1', [{ role: 'user', content: 'stale' }], { expectedRevision: 1 }),
          'E_CONVERSATION_CONFLICT',
        );
        // Without expectedRevision, parallel appends are all kept (each retries on the fresh record).
        await Promise.all(
          ['x', 'y', 'z'].map((content) => repo.appendMessages('append-1', [{ role: 'user', content }])),
        );
        const after = await repo.get('append-1');
        expect(after?.revision).toBe(5);
        expect(after?.record.messages.map((m) => m.content).sort()).toEqual(['one', 'two', 'x', 'y', 'z'].sort());
        await rejectsWith(repo.appendMessages('append-1', [{ role: 'user' } as never]), 'E_CONVERSATION_INVALID');
        await rejectsWith(repo.appendMessages('nope', [{ role: 'user', content: 'a' }]), 'E_CONVERSATION_NOT_FOUND');
      });

      it('switches a model only with consent, records it and emits the event', async () => {
        await repo.create({ id: 'pin-1', userId: 'u3', modelVersion: 'gpt-4o-2024-05-13' });
        await rejectsWith(
          repo.migrateModel('pin-1', { to: 'gpt-4o-2024-08-06' } as never),
          'E_CONVERSATION_CONSENT_REQUIRED',
        );
        expect((await repo.get('pin-1'))?.record.modelVersion).toBe('gpt-4o-2024-05-13');
        const res = await repo.migrateModel('pin-1', {
          to: 'gpt-4o-2024-08-06',
          consent: { by: 'u3', at: '2026-02-01T00:00:00.000Z' },
          reason: 'user accepted the upgrade prompt',
        });
        expect(res.changed).toBe(true);
        expect(res.conversation.record).toMatchObject({
          modelVersion: 'gpt-4o-2024-08-06',
          migratedAt: expect.any(String),
        });
        expect(res.conversation.record.modelHistory).toEqual([
          {
            from: 'gpt-4o-2024-05-13',
            to: 'gpt-4o-2024-08-06',
            at: res.conversation.record.migratedAt,
            consentBy: 'u3',
            consentAt: '2026-02-01T00:00:00.000Z',
            reason: 'user accepted the upgrade prompt',
          },
        ]);
        expect(res.event).toEqual({
          type: 'migration',
          time: Date.parse(res.conversation.record.migratedAt as string),
          migration: 'conversation-model',
          key: 'chat',
          subjectId: 'pin-1',
          from: 'gpt-4o-2024-05-13',
          to: 'gpt-4o-2024-08-06',
        });
        expect(events).toContainEqual(res.event);
        const again = await repo.migrateModel('pin-1', { to: 'gpt-4o-2024-08-06', consent: { by: 'u3' } });
        expect(again).toMatchObject({ changed: false, event: null });
        expect(again.conversation.revision).toBe(res.conversation.revision);
      });

      it('leaves records it cannot upgrade untouched and refuses to write them', async () => {
        await repo.importRecords([
          { id: 'future-1', userId: 'u4', schemaVersion: 7, messages: [], whatever: [1, { a: null }] },
        ]);
        const before = await storedText(client, schema, 'future-1');
        const read = await repo.get('future-1');
        expect(read?.upgrade).toMatchObject({ status: 'failed', code: 'E_CONVERSATION_VERSION_MISMATCH' });
        expect(read?.revision).toBe(1);
        await rejectsWith(
          repo.appendMessages('future-1', [{ role: 'user', content: 'x' }]),
          'E_CONVERSATION_UNSUPPORTED_VERSION',
        );
        expect(await storedText(client, schema, 'future-1')).toBe(before);
      });

      it('follows a hot-swapped migration and pages by keyset', async () => {
        let live: ConversationMigration | null = null;
        const swapSchema = `${schema}_b`.slice(0, 63);
        // No migration in force and no configured version: creating would have to guess a version.
        const unconfigured = await openConversationRepository(client, { schema: swapSchema, migration: () => live });
        expect(unconfigured.currentSchemaVersion()).toBeNull();
        await rejectsWith(
          unconfigured.create({ id: 'a', userId: 'u', modelVersion: 'm1' }),
          'E_CONVERSATION_SCHEMA_VERSION',
        );
        await expect(
          openConversationRepository(client, { schema: swapSchema, schemaVersion: 0 }),
        ).rejects.toMatchObject({ code: 'E_CONVERSATION_INVALID' });
        const r = await openConversationRepository(client, {
          schema: swapSchema,
          migration: () => live,
          schemaVersion: 2,
        });
        const v1 = await r.create({ id: 'a', userId: 'u', modelVersion: 'm1' });
        expect(v1.record.schemaVersion).toBe(2); // no migration: the configured version
        expect(v1.record.metadata).toBeUndefined();
        live = { ...V2, id: 'v3', from: 2, to: 3, upgrade: { add: { locale: 'en' }, rename: {}, addToMessages: {} } };
        expect((await r.create({ id: 'b', userId: 'u', modelVersion: 'm1' })).record).toMatchObject({
          schemaVersion: 3,
          locale: 'en',
        }); // the migration wins
        expect(r.currentSchemaVersion()).toBe(3);
        expect((await r.get('a'))?.record).toMatchObject({ schemaVersion: 3, locale: 'en' });
        for (const id of ['c', 'd', 'e'])
          await r.create({ id, userId: id === 'e' ? 'other' : 'u', modelVersion: 'm1' });
        const p1 = await r.scan({ limit: 2 });
        expect(p1.items.map((i) => i.id)).toEqual(['a', 'b']);
        const p2 = await r.scan({ after: p1.next, limit: 2 });
        expect(p2.items.map((i) => i.id)).toEqual(['c', 'd']);
        const p3 = await r.scan({ after: p2.next, limit: 2 });
        expect(p3).toMatchObject({ items: [{ id: 'e' }], next: null });
        expect((await r.listByUser('u', { limit: 10 })).items.map((i) => i.id)).toEqual(['a', 'b', 'c', 'd']);
        expect(await r.countByVersion()).toEqual([{ schemaVersion: 3, count: 5 }]);
        await client.exec(`DROP SCHEMA ${quoteIdent(swapSchema)} CASCADE`);
      });
    },
  );

describe('numbers beyond double precision', () => {
  it('are never rewritten: the record is reported and left as stored', async () => {
    const { client, schema, done } = await openBackend('pglite', 'conv_prec');
    try {
      const repo = await openConversationRepository(client, { schema, migration: V2 });
      await client.query(
        `INSERT INTO ${quoteIdent(schema)}.conversations (id, record) VALUES ('big', $1::jsonb), ('fine', $2::jsonb)`,
        [
          '{"id":"big","userId":"u","messages":[],"orderId":12345678901234567890,"ratio":0.12345678901234567891}',
          '{"id":"fine","userId":"u","messages":[],"price":1.50,"n":1234567890123456,"tiny":1e-300}',
        ],
      );
      const before = await storedText(client, schema, 'big');
      expect((await repo.get('big'))?.upgrade).toMatchObject({
        status: 'failed',
        code: 'E_CONVERSATION_NUMBER_PRECISION',
      });
      await rejectsWith(
        repo.appendMessages('big', [{ role: 'user', content: 'x' }]),
        'E_CONVERSATION_NUMBER_PRECISION',
      );
      expect(await storedText(client, schema, 'big')).toBe(before);
      expect((await repo.get('fine'))?.upgrade).toMatchObject({ status: 'upgraded', written: true });
      expect(JSON.parse(await storedText(client, schema, 'fine'))).toMatchObject({
        price: 1.5,
        n: 1234567890123456,
        tiny: 1e-300,
        schemaVersion: 2,
      });
    } finally {
      await done();
    }
  });
});
