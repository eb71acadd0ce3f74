/**
 * The little SQL surface the store needs, implemented over PGlite (embedded) and `pg` (a server).
 * Both speak PostgreSQL, so the schema and every query are the same text on both backends.
 */
export interface SqlExecutor {
  /** Parameterised single statement. */
  query<R extends object>(text: string, params?: unknown[]): Promise<R[]>;
  /** Several statements without parameters (migrations). */
  exec(text: string): Promise<void>;
}

export interface SqlClient extends SqlExecutor {
  readonly backend: 'pglite' | 'postgres';
  /** Runs `fn` in one transaction on one connection; rolls back when it throws. */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Quotes an SQL identifier (schema names come from options and test run ids). */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Whether `name` is a schema name every part of Switchyard accepts: a plain lower-case PostgreSQL
 * identifier of at most 63 characters, so it is readable in `psql` and never needs quoting tricks.
 */
export function isSchemaName(name: string): boolean {
  return SCHEMA_NAME.test(name);
}
