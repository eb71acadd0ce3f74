/** Exact top-k search over one index, and its row count. */
import type { SqlClient } from '../store/sql-client.ts';
import type { IndexCatalog } from './catalog.ts';
import { VectorError } from './errors.ts';
import type { IndexInfo, SearchOptions, VectorStore } from './types.ts';
import { normalise, vectorLiteral } from './vector-math.ts';

const MAX_K = 1000;

export type SearchOps = Pick<VectorStore, 'search' | 'countEmbeddings'>;

export function searchOps(client: SqlClient, catalog: IndexCatalog): SearchOps {
  return {
    async search(index, query, k, options = {}) {
      if (!Number.isInteger(k) || k < 1 || k > MAX_K)
        throw new VectorError('E_VECTOR_QUERY', `k must be an integer in 1..${MAX_K}, got ${k}`);
      return catalog.onIndex(client, index, async (info) => {
        const literal = vectorLiteral(normalise(query, info.dimension, `query vector for '${index}'`), info.vectorType);
        const { sql, params } = searchQuery(catalog, info, literal, k, options);
        const rows = await client.query<{ id: string; version: string | number; score: string | number }>(sql, params);
        return rows.map((r) => ({ id: r.id, version: Number(r.version), score: Number(r.score) }));
      });
    },

    async countEmbeddings(index) {
      return catalog.onIndex(client, index, async (info) => {
        const rows = await client.query<{ n: string | number }>(
          `SELECT count(*) AS n FROM ${catalog.qualified(info.table)}`,
        );
        return Number(rows[0]!.n);
      });
    },
  };
}

function searchQuery(
  catalog: IndexCatalog,
  info: IndexInfo,
  literal: string,
  k: number,
  options: SearchOptions,
): { sql: string; params: unknown[] } {
  const params: unknown[] = [literal, k];
  const tenantJoin =
    options.tenant === undefined ? '' : `JOIN ${catalog.s}.documents d ON d.id = e.doc_id AND d.tenant = $3`;
  if (options.tenant !== undefined) params.push(options.tenant);
  const table = catalog.qualified(info.table);
  const sql =
    info.vectorType === 'pgvector'
      ? `SELECT e.doc_id AS id, e.version, -(e.embedding <#> $1::vector) AS score FROM ${table} e ${tenantJoin}
ORDER BY e.embedding <#> $1::vector, e.doc_id LIMIT $2`
      : // Exact search without pgvector: the dot product of unit vectors, computed per row.
        `SELECT e.doc_id AS id, e.version, (SELECT sum(a::float8 * b::float8) FROM unnest(e.embedding, $1::real[]) AS t(a, b)) AS score
FROM ${table} e ${tenantJoin} ORDER BY score DESC, e.doc_id LIMIT $2`;
  return { sql, params };
}
