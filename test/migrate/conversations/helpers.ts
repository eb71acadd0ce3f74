import { openConversationRepository } from '@switchyard/data';
import { quoteIdent, type SqlClient } from '@switchyard/data';
import { legacyRecord } from '../../../packages/data/test/conversations/fixtures.ts';

export {
  V2,
  legacyRecord,
  openBackend,
  PG_URL,
  dropSchema,
  uniqueSchema,
  type Backend,
} from '../../../packages/data/test/conversations/fixtures.ts';

/** Records that cannot be upgraded by v1 → v2, and one where a rename meets an existing target. */
export const ODD_RECORDS: Record<string, unknown>[] = [
  { id: 'odd-future', userId: 'u', schemaVersion: 7, messages: [], keep: { me: [1, 2, 3] } },
  { id: 'odd-string-version', userId: 'u', schemaVersion: '1', messages: [] },
  {
    id: 'odd-both',
    userId: 'u',
    schemaVersion: 1,
    created: '2024-01-01T00:00:00Z',
    createdAt: '2024-02-02T00:00:00Z',
    messages: ['not an object', { role: 'user', content: 'x' }],
  },
];

/** Creates the tables in `schema` and inserts `count` legacy records plus the odd ones. */
export async function seed(client: SqlClient, schema: string, count: number): Promise<void> {
  const repo = await openConversationRepository(client, { schema });
  const records = Array.from({ length: count }, (_, i) => legacyRecord(i));
  await repo.importRecords([...records, ...ODD_RECORDS]);
}

/** Every stored record as PostgreSQL prints it, in id order: what "byte-identical" compares. */
export async function dump(client: SqlClient, schema: string): Promise<Array<{ id: string; text: string }>> {
  return client.query<{ id: string; text: string }>(
    `SELECT id, record::text AS text FROM ${quoteIdent(schema)}.conversations ORDER BY id`,
  );
}

export async function checkpoint(
  client: SqlClient,
  schema: string,
  migration: string,
): Promise<Record<string, unknown> | undefined> {
  const rows = await client.query<Record<string, unknown>>(
    `SELECT * FROM ${quoteIdent(schema)}.conversation_migration_progress WHERE migration = $1`,
    [migration],
  );
  return rows[0];
}
