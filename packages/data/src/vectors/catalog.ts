/**
 * The catalog of indexes (`vector_indexes`) and retirement markers (`retired_indexes`) of one
 * schema, with a per-store cache of the catalogued indexes. Every other part of the store finds an
 * index's table through here.
 */
import { quoteIdent, type SqlExecutor } from '../store/sql-client.ts';
import { VectorError } from './errors.ts';
import type { VectorType } from './schema.ts';
import type { IndexInfo, RetiredIndex } from './types.ts';

interface IndexRow {
  name: string;
  table_name: string;
  model: string;
  dimension: number;
  vector_type: string;
}

const INDEX_COLUMNS = 'name, table_name, model, dimension, vector_type';

export interface IndexCatalog {
  readonly schema: string;
  /** The quoted schema name. */
  readonly s: string;
  /** Quoted, schema-qualified name of a table in the store's schema. */
  qualified(table: string): string;
  /** The catalogued index (cached), or undefined. */
  lookup(sql: SqlExecutor, name: string): Promise<IndexInfo | undefined>;
  /** The catalogued index, or E_VECTOR_INDEX_RETIRED / E_VECTOR_NO_INDEX. */
  require(sql: SqlExecutor, name: string): Promise<IndexInfo>;
  /** Runs an index query; a table dropped by another process surfaces as E_VECTOR_NO_INDEX. */
  onIndex<T>(sql: SqlExecutor, name: string, fn: (info: IndexInfo) => Promise<T>): Promise<T>;
  list(sql: SqlExecutor): Promise<IndexInfo[]>;
  retired(sql: SqlExecutor, name: string): Promise<RetiredIndex | undefined>;
  remember(info: IndexInfo): void;
  forget(name: string): void;
}

const toInfo = (r: IndexRow): IndexInfo => ({
  index: r.name,
  table: r.table_name,
  model: r.model,
  dimension: Number(r.dimension),
  vectorType: r.vector_type as VectorType,
});

const iso = (v: string | Date): string => (v instanceof Date ? v.toISOString() : new Date(v).toISOString());

/** The refusal of a write or read routed to a retired index. */
export function retiredError(name: string, marker: RetiredIndex): VectorError {
  return new VectorError(
    'E_VECTOR_INDEX_RETIRED',
    `vector index '${name}' was retired at ${marker.retiredAt} (${marker.reason}): it is not re-created; route reads and writes to the live index (publish the plan's current phase)`,
  );
}

function isMissingRelation(error: unknown): boolean {
  return (error as { code?: string }).code === '42P01' || /does not exist/.test((error as Error).message ?? '');
}

/** The catalog of `schema` (validated by the caller). */
export function indexCatalog(schema: string): IndexCatalog {
  const s = quoteIdent(schema);
  const cache = new Map<string, IndexInfo>();

  async function lookup(sql: SqlExecutor, name: string): Promise<IndexInfo | undefined> {
    const cached = cache.get(name);
    if (cached) return cached;
    const rows = await sql.query<IndexRow>(`SELECT ${INDEX_COLUMNS} FROM ${s}.vector_indexes WHERE name = $1`, [name]);
    if (rows.length === 0) return undefined;
    const info = toInfo(rows[0]!);
    cache.set(name, info);
    return info;
  }

  async function retired(sql: SqlExecutor, name: string): Promise<RetiredIndex | undefined> {
    const rows = await sql.query<{
      name: string;
      model: string;
      dimension: number;
      reason: string;
      retired_at: string | Date;
    }>(`SELECT name, model, dimension, reason, retired_at FROM ${s}.retired_indexes WHERE name = $1`, [name]);
    const r = rows[0];
    if (!r) return undefined;
    return {
      index: r.name,
      model: r.model,
      dimension: Number(r.dimension),
      reason: r.reason,
      retiredAt: iso(r.retired_at),
    };
  }

  async function require(sql: SqlExecutor, name: string): Promise<IndexInfo> {
    const info = await lookup(sql, name);
    if (info) return info;
    const marker = await retired(sql, name);
    if (marker) throw retiredError(name, marker);
    throw new VectorError(
      'E_VECTOR_NO_INDEX',
      `no vector index '${name}' in schema ${schema} (it is created by the first write or by \`switchyard migrate embeddings\`)`,
    );
  }

  return {
    schema,
    s,
    qualified: (table) => `${s}.${quoteIdent(table)}`,
    lookup,
    require,
    retired,
    async onIndex(sql, name, fn) {
      const info = await require(sql, name);
      try {
        return await fn(info);
      } catch (error) {
        if (isMissingRelation(error)) {
          cache.delete(name);
          throw new VectorError('E_VECTOR_NO_INDEX', `vector index '${name}' was dropped`);
        }
        throw error;
      }
    },
    async list(sql) {
      const rows = await sql.query<IndexRow>(`SELECT ${INDEX_COLUMNS} FROM ${s}.vector_indexes ORDER BY name`);
      return rows.map(toInfo);
    },
    remember: (info) => void cache.set(info.index, info),
    forget: (name) => void cache.delete(name),
  };
}
