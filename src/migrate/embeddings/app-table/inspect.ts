/**
 * Checks the application's table before a run touches it: the table exists, every column the plan
 * names exists, the key is unique, the text column holds text, and the vector columns can hold
 * vectors of the plan's dimensions. Refusals name the column and the plan's file.
 */
import type { SqlExecutor } from '@switchyard/data';
import type { EmbeddingMigrationResource } from '../../../config/index.ts';
import { AppTableError } from './errors.ts';
import { appTableNames, type AppTableNames } from './storage.ts';
import { vectorColumnKind, type VectorColumnKind } from './vector-sql.ts';

/** A checked application table. */
export interface AppTable extends AppTableNames {
  fromKind: VectorColumnKind;
  toKind: VectorColumnKind;
  /** The dimension the `to` column declares (pgvector `vector(n)`), if any. */
  toDeclared: number | undefined;
}

interface ColumnRow {
  name: string;
  type: string;
  unique_key: boolean;
}

const TEXT_TYPES = /^(text|character varying(\(\d+\))?|character(\(\d+\))?|citext)$/;

/** Validates and inspects `plan.storage` on `sql`. */
export async function inspectAppTable(sql: SqlExecutor, plan: EmbeddingMigrationResource): Promise<AppTable> {
  const names = appTableNames(plan);
  const where = `${names.file}: storage.table ${names.schema}.${names.tableName}`;
  const found = await sql.query<{ oid: number | string }>(
    `SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')`,
    [names.schema, names.tableName],
  );
  if (found.length === 0)
    throw new AppTableError('E_MIGRATE_STORAGE_TABLE', `${where} does not exist (or is not a table)`);
  const rows = await sql.query<ColumnRow>(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
  EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = a.attrelid AND i.indisunique AND i.indnatts = 1 AND i.indkey[0] = a.attnum AND i.indpred IS NULL) AS unique_key
FROM pg_attribute a WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped`,
    [found[0]!.oid],
  );
  const columns = new Map(rows.map((r) => [r.name, r]));
  const column = (role: keyof AppTableNames['columns']): ColumnRow => {
    const name = names.columns[role];
    const row = columns.get(name);
    if (!row)
      throw new AppTableError(
        'E_MIGRATE_STORAGE_COLUMN',
        `${names.file}: storage.${role === 'from' || role === 'to' ? `${role}.column` : role} names column '${name}', which ${names.schema}.${names.tableName} does not have (it has: ${[...columns.keys()].join(', ')})`,
      );
    return row;
  };
  const bad = (role: string, name: string, why: string) =>
    new AppTableError('E_MIGRATE_STORAGE_COLUMN', `${names.file}: storage.${role} column '${name}' ${why}`);

  const key = column('key');
  if (!key.unique_key)
    throw bad(
      'key',
      key.name,
      'has no single-column unique index or primary key (the backfill walks the table in key order)',
    );
  const text = column('text');
  if (!TEXT_TYPES.test(text.type)) throw bad('text', text.name, `is ${text.type}, not text`);
  column('updatedAt');
  const from = vectorColumn(column('from'), 'from', plan.from.dimension, bad);
  const to = vectorColumn(column('to'), 'to', plan.to.dimension, bad);
  return { ...names, fromKind: from.kind, toKind: to.kind, toDeclared: to.dimension };
}

function vectorColumn(
  row: ColumnRow,
  role: 'from' | 'to',
  dimension: number,
  bad: (role: string, name: string, why: string) => AppTableError,
): { kind: VectorColumnKind; dimension?: number } {
  const kind = vectorColumnKind(row.type);
  if (!kind)
    throw bad(
      `${role}.column`,
      row.name,
      `is ${row.type}: a vector column is vector(n), real[], double precision[] or jsonb`,
    );
  if (kind.dimension !== undefined && kind.dimension !== dimension)
    throw bad(`${role}.column`, row.name, `is ${row.type}, but ${role}.dimension is ${dimension}`);
  return kind;
}
