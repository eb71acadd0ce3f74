/**
 * A `storage:` block that does not fit the table is refused before any row is read or written:
 * coded errors naming the plan's file and the column (in-memory PGlite; the checks are catalogue
 * queries, the same on PostgreSQL).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPgliteClient, type SqlClient, type TableStorage } from '@switchyard/data';
import { runConversationMigration } from '../../../src/migrate/conversations/index.ts';
import { V2 } from './helpers.ts';

describe('storage: refusals', () => {
  let client: SqlClient;
  beforeAll(async () => {
    client = await openPgliteClient();
    await client.exec(`CREATE SCHEMA app;
CREATE TABLE app.chat_threads (thread_id bigint PRIMARY KEY, payload jsonb NOT NULL, payload_version integer, modified_at timestamptz, note integer);
CREATE TABLE app.loose (k text, payload jsonb);
INSERT INTO app.chat_threads (thread_id, payload) VALUES (1, '{"id":"1","messages":[]}');`);
  });
  afterAll(async () => client.close());

  const good: TableStorage = { table: 'app.chat_threads', key: 'thread_id', record: 'payload' };
  const refuse = async (storage: TableStorage, dryRun = false) => {
    const error = await runConversationMigration(client, {
      migration: V2,
      schema: 'sy_refused',
      storage,
      dryRun,
      source: 'rollouts/conversation-schema-v2.yaml',
    }).then(
      () => null,
      (e: unknown) => e as { code: string; message: string },
    );
    expect(error).not.toBeNull();
    return error as { code: string; message: string };
  };

  it.each([
    ['table', { ...good, table: 'app.chat_threads; DROP TABLE app.chat_threads' }],
    ['table', { ...good, table: 'App.Chat' }],
    ['table', { ...good, table: 'a.b.c' }],
    ['key', { ...good, key: 'thread_id"' }],
    ['record', { ...good, record: '' }],
    ['version', { ...good, version: 'v;--' }],
    ['updatedAt', { ...good, updatedAt: 'x'.repeat(64) }],
  ] as const)('a bad identifier in storage.%s is E_CONVERSATION_STORAGE_NAME', async (field, storage) => {
    const e = await refuse(storage);
    expect(e.code).toBe('E_CONVERSATION_STORAGE_NAME');
    expect(e.message).toContain(`rollouts/conversation-schema-v2.yaml: storage.${field}`);
    // Nothing reached the database: the table is intact.
    expect(await client.query('SELECT 1 FROM app.chat_threads')).toHaveLength(1);
  });

  it('a column named twice is E_CONVERSATION_STORAGE_COLUMNS', async () => {
    const e = await refuse({ ...good, version: 'payload' });
    expect(e.code).toBe('E_CONVERSATION_STORAGE_COLUMNS');
    expect(e.message).toContain('storage.record and storage.version both name column "payload"');
  });

  it('a missing table or column is E_CONVERSATION_STORAGE_MISSING, in a dry run too', async () => {
    const table = await refuse({ ...good, table: 'app.nothing' }, true);
    expect(table.code).toBe('E_CONVERSATION_STORAGE_MISSING');
    expect(table.message).toContain('storage.table: no table app.nothing');
    const column = await refuse({ ...good, updatedAt: 'changed_at' });
    expect(column.code).toBe('E_CONVERSATION_STORAGE_MISSING');
    expect(column.message).toBe(
      'rollouts/conversation-schema-v2.yaml: storage.updatedAt: table app.chat_threads has no column "changed_at"',
    );
  });

  it('a column of the wrong type is E_CONVERSATION_STORAGE_TYPE naming the column and the types it may have', async () => {
    const record = await refuse({ ...good, record: 'note' });
    expect(record.code).toBe('E_CONVERSATION_STORAGE_TYPE');
    expect(record.message).toContain(
      'storage.record: column "note" of app.chat_threads is int4; it must be jsonb, json, text',
    );
    const version = await refuse({ ...good, version: 'modified_at' });
    expect(version.code).toBe('E_CONVERSATION_STORAGE_TYPE');
    expect(version.message).toContain('storage.version: column "modified_at"');
    const updated = await refuse({ ...good, updatedAt: 'note' });
    expect(updated.code).toBe('E_CONVERSATION_STORAGE_TYPE');
  });

  it('a key that is not unique and NOT NULL is E_CONVERSATION_STORAGE_KEY', async () => {
    const e = await refuse({ table: 'app.loose', key: 'k', record: 'payload' });
    expect(e.code).toBe('E_CONVERSATION_STORAGE_KEY');
    expect(e.message).toContain('storage.key: column "k" of app.loose must be NOT NULL and unique');
  });

  it('a text record column holding something that is not JSON fails the run with E_MIGRATE_STORE, changing nothing', async () => {
    await client.exec(`CREATE TABLE app.notes (note_id integer PRIMARY KEY, doc text NOT NULL);
INSERT INTO app.notes VALUES (1, '{"id":"n1","messages":[]}'), (2, 'not json');`);
    const e = (await runConversationMigration(client, {
      migration: V2,
      schema: 'sy_not_json',
      storage: { table: 'app.notes', key: 'note_id', record: 'doc' },
    }).catch((error: unknown) => error)) as { code: string; message: string };
    expect(e.code).toBe('E_MIGRATE_STORE');
    expect(e.message).toContain('invalid input syntax for type json');
    expect(await client.query('SELECT doc FROM app.notes ORDER BY note_id')).toEqual([
      { doc: '{"id":"n1","messages":[]}' },
      { doc: 'not json' },
    ]);
    await client.exec('DROP TABLE app.notes');
  });

  it("an unqualified table is in schema public; only the checkpoint table goes to Switchyard's schema", async () => {
    await client.exec(`CREATE TABLE public.threads (id text PRIMARY KEY, payload jsonb NOT NULL);
INSERT INTO public.threads VALUES ('t1', '{"id":"t1","messages":[]}');`);
    const report = await runConversationMigration(client, {
      migration: V2,
      schema: 'sy_public_case',
      storage: { table: 'threads', key: 'id', record: 'payload' },
    });
    expect(report).toMatchObject({ table: 'public.threads', complete: true, remaining: 0 });
    expect(report.counters.upgraded).toBe(1);
    expect(
      await client.query(
        `SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE nspname = 'sy_public_case' AND relkind = 'r'`,
      ),
    ).toEqual([{ relname: 'conversation_migration_progress' }]);
  });

  it("a refused run creates nothing in Switchyard's schema", async () => {
    await refuse({ ...good, record: 'note' });
    expect(await client.query(`SELECT 1 FROM pg_namespace WHERE nspname = 'sy_refused'`)).toHaveLength(0);
  });
});
