/**
 * The identifiers of a plan's `storage:` block, validated and quoted once. Only lower-case
 * identifiers are accepted (the same rule as the JSON schema), so the quoted name is the name the
 * application's own unquoted SQL uses; every identifier reaches SQL through `quoteIdent`, never raw.
 */
import { quoteIdent } from '@switchyard/data';
import type { EmbeddingMigrationResource, EmbeddingStorage } from '../../../config/index.ts';
import { AppTableError } from './errors.ts';

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** The quoted identifiers of one application table, plus the names for messages. */
export interface AppTableNames {
  /** `rollouts/<migration>.yaml`: where the storage block is written. */
  file: string;
  /** Unquoted schema (`public` when the table is not qualified) and table. */
  schema: string;
  tableName: string;
  /** Quoted, schema-qualified table. */
  table: string;
  key: string;
  text: string;
  updatedAt: string;
  from: string;
  to: string;
  /** Unquoted column names by role, for messages and catalog look-ups. */
  columns: Record<'key' | 'text' | 'updatedAt' | 'from' | 'to', string>;
}

function identifier(value: unknown, field: string, file: string): string {
  if (typeof value !== 'string' || !IDENTIFIER.test(value)) {
    throw new AppTableError(
      'E_MIGRATE_STORAGE_NAME',
      `${file}: storage.${field} ${JSON.stringify(value)} is not a valid identifier (lower-case letters, digits and _, starting with a letter or _, at most 63 characters)`,
    );
  }
  return value;
}

/** The validated names of `plan.storage` (which must be present). */
export function appTableNames(plan: EmbeddingMigrationResource): AppTableNames {
  const file = `rollouts/${plan.migration}.yaml`;
  const storage = plan.storage as EmbeddingStorage;
  const parts = typeof storage.table === 'string' ? storage.table.split('.') : [];
  if (parts.length < 1 || parts.length > 2) identifier(storage.table, 'table', file);
  const [schema, tableName] = parts.length === 2 ? [parts[0], parts[1]] : ['public', parts[0]];
  identifier(schema, 'table', file);
  identifier(tableName, 'table', file);
  const columns = {
    key: identifier(storage.key, 'key', file),
    text: identifier(storage.text, 'text', file),
    updatedAt: identifier(storage.updatedAt, 'updatedAt', file),
    from: identifier(storage.from?.column, 'from.column', file),
    to: identifier(storage.to?.column, 'to.column', file),
  };
  return {
    file,
    schema: schema!,
    tableName: tableName!,
    table: `${quoteIdent(schema!)}.${quoteIdent(tableName!)}`,
    key: quoteIdent(columns.key),
    text: quoteIdent(columns.text),
    updatedAt: quoteIdent(columns.updatedAt),
    from: quoteIdent(columns.from),
    to: quoteIdent(columns.to),
    columns,
  };
}
