import { VectorError } from './errors.ts';
import { isSchemaName } from '../store/sql-client.ts';

/** Index names as plans spell them (`docs-small`): lower case, digits, `-` and `_`. */
const INDEX_NAME = /^[a-z0-9][a-z0-9_-]{0,49}$/;

/**
 * The table that holds one index: `docs-small` → `emb_docs_small`. Names are validated rather than
 * quoted away, so a table name is always a readable, predictable identifier an operator can query.
 * `docs-small` and `docs_small` map to the same table; the catalog refuses the second one.
 */
export function indexTableName(index: string): string {
  if (!INDEX_NAME.test(index)) {
    throw new VectorError(
      'E_VECTOR_INDEX_NAME',
      `invalid index name '${index}': use 1-50 characters [a-z0-9_-], starting with a letter or digit`,
    );
  }
  return `emb_${index.replaceAll('-', '_')}`;
}

/** Validates a PostgreSQL schema name (same rule as the event store). */
export function checkSchemaName(schema: string): string {
  if (!isSchemaName(schema))
    throw new VectorError(
      'E_VECTOR_SCHEMA_NAME',
      `invalid schema name '${schema}' (use [a-z_][a-z0-9_]*, at most 63 characters)`,
    );
  return schema;
}
