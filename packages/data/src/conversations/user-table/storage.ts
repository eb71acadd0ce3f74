/**
 * A SchemaMigration's `storage:` block: the application's own table holding the records
 * (docs/guides/conversation-migration.md, "Your own table"). Every name is checked against a strict
 * pattern here and only ever reaches SQL through `quoteIdent` — never interpolated raw.
 */
import { ConversationError } from '../schema.ts';

/** Where the records live when they are not in Switchyard's own `conversations` table. */
export interface TableStorage {
  /** `table` or `schema.table` (unqualified: `public`). */
  table: string;
  /** The unique key column (primary key or unique index): text, varchar, uuid, smallint, integer or bigint. */
  key: string;
  /** The column holding the whole record as JSON: jsonb, json or text. */
  record: string;
  /** An integer column holding the schema version; absent: the record's own `schemaVersion` field. */
  version?: string;
  /** A timestamp column the application bumps on every write: compared before writing, set to the write's time. */
  updatedAt?: string;
  /** An integer revision column: compared before writing, incremented by it. */
  revision?: string;
}

/** Identifiers Switchyard accepts: lower-case, PostgreSQL's unquoted form, at most 63 characters. */
export const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** The validated storage with the table split into schema and name. */
export interface CheckedStorage extends TableStorage {
  schemaName: string;
  tableName: string;
}

const COLUMNS = ['key', 'record', 'version', 'updatedAt', 'revision'] as const;
export type StorageColumn = (typeof COLUMNS)[number];

function nameError(source: string, field: string, value: unknown): ConversationError {
  return new ConversationError(
    'E_CONVERSATION_STORAGE_NAME',
    `${source}: storage.${field} ${JSON.stringify(value)} is not a plain lower-case identifier ([a-z_][a-z0-9_]*, at most 63 characters${field === 'table' ? ', optionally schema.table' : ''})`,
  );
}

/**
 * Checks every name (`E_CONVERSATION_STORAGE_NAME`) and that no column is used twice
 * (`E_CONVERSATION_STORAGE_COLUMNS`). `source` names the plan in messages, e.g. `rollouts/x.yaml`.
 */
export function checkStorage(storage: TableStorage, source: string): CheckedStorage {
  if (typeof storage !== 'object' || storage === null) throw nameError(source, 'table', storage);
  const parts = typeof storage.table === 'string' ? storage.table.split('.') : [];
  if (parts.length < 1 || parts.length > 2 || !parts.every((p) => IDENTIFIER.test(p)))
    throw nameError(source, 'table', storage.table);
  const seen = new Map<string, string>();
  for (const field of COLUMNS) {
    const value = storage[field];
    if (value === undefined && field !== 'key' && field !== 'record') continue;
    if (typeof value !== 'string' || !IDENTIFIER.test(value)) throw nameError(source, field, value);
    const other = seen.get(value);
    if (other !== undefined) {
      throw new ConversationError(
        'E_CONVERSATION_STORAGE_COLUMNS',
        `${source}: storage.${other} and storage.${field} both name column "${value}"; each role needs its own column`,
      );
    }
    seen.set(value, field);
  }
  const [schemaName, tableName] = parts.length === 2 ? parts : ['public', parts[0]];
  return { ...storage, schemaName: schemaName as string, tableName: tableName as string };
}
