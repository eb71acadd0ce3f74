/**
 * Before a run touches an application's table: does it exist, does it have the named columns, and
 * are their types ones the runner can work with? Each refusal is coded and names the plan and the
 * column, so a typo in `storage:` never becomes a half-run migration.
 */
import type { SqlExecutor } from '../../store/sql-client.ts';
import { ConversationError } from '../schema.ts';
import type { CheckedStorage, StorageColumn } from './storage.ts';

/** What the runner needs to know about the table: the SQL types it casts to. */
export interface InspectedTable {
  storage: CheckedStorage;
  /** The SQL type keyset comparisons cast the text cursor to. */
  keyCast: 'text' | 'uuid' | 'smallint' | 'integer' | 'bigint';
  recordType: 'jsonb' | 'json' | 'text';
}

interface ColumnInfo {
  name: string;
  type: string;
  notnull: boolean;
  unique: boolean;
}

/** Accepted PostgreSQL types per role (pg_type.typname → what the SQL casts to). */
const ACCEPTED: Record<StorageColumn, Record<string, string>> = {
  key: { text: 'text', varchar: 'text', uuid: 'uuid', int2: 'smallint', int4: 'integer', int8: 'bigint' },
  record: { jsonb: 'jsonb', json: 'json', text: 'text' },
  version: { int2: 'smallint', int4: 'integer', int8: 'bigint' },
  updatedAt: { timestamptz: 'timestamptz', timestamp: 'timestamp' },
  revision: { int2: 'smallint', int4: 'integer', int8: 'bigint' },
};

async function columnsOf(exec: SqlExecutor, schema: string, table: string): Promise<Map<string, ColumnInfo>> {
  const rows = await exec.query<{ name: string; type: string; notnull: boolean; uniq: boolean }>(
    `SELECT a.attname AS name, t.typname AS type, a.attnotnull AS notnull,
       EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisunique AND i.indnkeyatts = 1
               AND i.indkey[0] = a.attnum AND i.indpred IS NULL) AS uniq
     FROM pg_class c
     JOIN pg_namespace n ON n.oid = c.relnamespace
     JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
     JOIN pg_type t ON t.oid = a.atttypid
     WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')`,
    [schema, table],
  );
  return new Map(rows.map((r) => [r.name, { name: r.name, type: r.type, notnull: r.notnull, unique: r.uniq }]));
}

/**
 * Checks the table against `storage`: `E_CONVERSATION_STORAGE_MISSING` (no such table or column),
 * `E_CONVERSATION_STORAGE_TYPE` (a column of a type its role cannot have), `E_CONVERSATION_STORAGE_KEY`
 * (the key is not unique and NOT NULL, so keyset pages could skip or repeat rows).
 */
export async function inspectTable(
  exec: SqlExecutor,
  storage: CheckedStorage,
  source: string,
): Promise<InspectedTable> {
  const { schemaName, tableName } = storage;
  const columns = await columnsOf(exec, schemaName, tableName);
  if (columns.size === 0) {
    throw new ConversationError(
      'E_CONVERSATION_STORAGE_MISSING',
      `${source}: storage.table: no table ${schemaName}.${tableName} (create it first; Switchyard does not create an application's table)`,
    );
  }
  const casts: Partial<Record<StorageColumn, string>> = {};
  for (const role of Object.keys(ACCEPTED) as StorageColumn[]) {
    const name = storage[role];
    if (name === undefined) continue;
    const column = columns.get(name);
    if (!column) {
      throw new ConversationError(
        'E_CONVERSATION_STORAGE_MISSING',
        `${source}: storage.${role}: table ${schemaName}.${tableName} has no column "${name}"`,
      );
    }
    const cast = ACCEPTED[role][column.type];
    if (cast === undefined) {
      throw new ConversationError(
        'E_CONVERSATION_STORAGE_TYPE',
        `${source}: storage.${role}: column "${name}" of ${schemaName}.${tableName} is ${column.type}; it must be ${Object.keys(ACCEPTED[role]).join(', ')}`,
      );
    }
    casts[role] = cast;
  }
  const key = columns.get(storage.key) as ColumnInfo;
  if (!key.unique || !key.notnull) {
    throw new ConversationError(
      'E_CONVERSATION_STORAGE_KEY',
      `${source}: storage.key: column "${storage.key}" of ${schemaName}.${tableName} must be NOT NULL and unique on its own (a primary key or a unique index): the run walks the table in key order`,
    );
  }
  return {
    storage,
    keyCast: casts.key as InspectedTable['keyCast'],
    recordType: casts.record as InspectedTable['recordType'],
  };
}
