import type { PayloadSchemaMigration } from '@switchyard/runtime';
import { openLockSession, type LockSession } from '../../../../src/migrate/shared/run-lock.ts';
import { openPgClient } from '../../src/store/pg-client.ts';
import { openPgliteClient } from '../../src/store/pglite-client.ts';
import type { SqlClient } from '../../src/store/sql-client.ts';
import { PG_URL, dropSchema, uniqueSchema } from '../store/fixtures.ts';

export { PG_URL, dropSchema, uniqueSchema };

/** The demo plan rollouts/conversation-schema-v2.yaml as the bundle carries it. */
export const V2: PayloadSchemaMigration = {
  id: 'conversation-schema-v2',
  entity: 'conversation',
  from: 1,
  to: 2,
  mode: 'background',
  upgrade: {
    add: { modelVersion: 'gpt-4o-2024-05-13', metadata: {} },
    addToMessages: { model: 'gpt-4o-2024-05-13' },
    copyToMessages: { timestamp: 'createdAt' },
    rename: { created: 'createdAt' },
  },
  batchSize: 500,
};

/** A v1 record as the article's old schema has it, plus fields no code knows (nested too). */
export function legacyRecord(i: number): Record<string, unknown> {
  const id = `c-${String(i).padStart(6, '0')}`;
  const rec: Record<string, unknown> = {
    id,
    userId: `user-${i % 37}`,
    created: new Date(Date.UTC(2025, 0, 1) + i * 60_000).toISOString(),
    messages: [
      { role: 'user', content: `question ${i} — ünïcode ✓`, attachments: [{ kind: 'image', meta: { w: 10, h: i } }] },
      { role: 'assistant', content: `answer ${i}`, tokens: { prompt: i, completion: 2 * i } },
    ],
  };
  if (i % 3 === 0) rec.schemaVersion = 1; // some legacy records say their version, some do not
  if (i % 5 === 0) rec.extra = { tags: ['a', 'b'], nested: { deep: { value: i, flag: i % 2 === 0 } } };
  if (i % 7 === 0) rec.metadata = { source: 'import', n: i }; // an existing value wins over the default
  return rec;
}

export type Backend = 'pglite' | 'postgres';

/**
 * A client on the backend; for PostgreSQL a unique schema per run, dropped by `done`, and a
 * dedicated session for the migration runner's lock (`lockSession`; PGlite's client is its own).
 */
export async function openBackend(
  backend: Backend,
  label: string,
): Promise<{ client: SqlClient; schema: string; lockSession?: LockSession; done(): Promise<void> }> {
  if (backend === 'pglite') {
    const client = await openPgliteClient();
    return { client, schema: 'switchyard', done: () => client.close() };
  }
  const schema = uniqueSchema(label);
  const client = openPgClient({ connectionString: PG_URL });
  const lockSession = await openLockSession(PG_URL, 'conversations');
  return {
    client,
    schema,
    lockSession,
    async done() {
      await lockSession.close();
      await client.close();
      await dropSchema(schema);
    },
  };
}
