/**
 * Creating, dropping and retiring indexes. Each change to the catalog takes one advisory lock per
 * schema, so a retirement and a re-creation can never interleave (docs/embedding-migration.md).
 */
import type { SqlClient, SqlExecutor } from '../store/sql-client.ts';
import { retiredError, type IndexCatalog } from './catalog.ts';
import { VectorError } from './errors.ts';
import { indexTableName } from './names.ts';
import type { VectorType } from './schema.ts';
import type { EmbeddingTarget, IndexInfo, VectorStore } from './types.ts';

export type IndexLifecycle = Pick<
  VectorStore,
  'ensureIndex' | 'getIndex' | 'listIndexes' | 'dropIndex' | 'retireIndex' | 'getRetired'
>;

const catalogLock = (tx: SqlExecutor, schema: string) =>
  tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`switchyard-vectors:${schema}`]);

/** The index operations of a store whose new indexes get columns of `vectorType`. */
export function indexLifecycle(client: SqlClient, catalog: IndexCatalog, vectorType: VectorType): IndexLifecycle {
  const { s } = catalog;
  return {
    async ensureIndex(target) {
      const table = checkTarget(target);
      // Expected refusals are decided outside the transaction: a transaction that throws costs the
      // `pg` adapter its connection (destroyed rather than trusted after a failure).
      const known = await catalog.lookup(client, target.index);
      if (known) {
        const problem = mismatch(known, target);
        if (problem) throw problem;
        return known;
      }
      const outcome = await client.transaction((tx) => createIndex(tx, catalog, target, table, vectorType));
      if (outcome instanceof VectorError) {
        catalog.forget(target.index);
        throw outcome;
      }
      catalog.remember(outcome);
      return outcome;
    },

    getIndex: (name) => {
      catalog.forget(name);
      return catalog.lookup(client, name);
    },

    listIndexes: () => catalog.list(client),

    async dropIndex(name) {
      const dropped = await client.transaction(async (tx) => {
        await catalogLock(tx, catalog.schema);
        const rows = await tx.query<{ table_name: string }>(
          `DELETE FROM ${s}.vector_indexes WHERE name = $1 RETURNING table_name`,
          [name],
        );
        if (rows.length === 0) return false;
        await tx.exec(`DROP TABLE IF EXISTS ${catalog.qualified(rows[0]!.table_name)}`);
        return true;
      });
      catalog.forget(name);
      return dropped;
    },

    async retireIndex(name, reason) {
      const dropped = await client.transaction(async (tx) => {
        await catalogLock(tx, catalog.schema);
        const rows = await tx.query<{ table_name: string; model: string; dimension: number }>(
          `DELETE FROM ${s}.vector_indexes WHERE name = $1 RETURNING table_name, model, dimension`,
          [name],
        );
        const row = rows[0];
        // The marker is written even when the index is already gone (a plain drop, or a re-run):
        // what matters is that nothing re-creates it from now on.
        await tx.query(
          `INSERT INTO ${s}.retired_indexes (name, table_name, model, dimension, reason) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name) DO NOTHING`,
          [name, row?.table_name ?? indexTableName(name), row?.model ?? '', row?.dimension ?? 0, reason],
        );
        if (!row) return false;
        await tx.exec(`DROP TABLE IF EXISTS ${catalog.qualified(row.table_name)}`);
        return true;
      });
      catalog.forget(name);
      return { dropped };
    },

    getRetired: (name) => catalog.retired(client, name),
  };
}

/** Validates a target's name, model and dimension; returns its table name. */
function checkTarget(target: EmbeddingTarget): string {
  const table = indexTableName(target.index);
  if (typeof target.model !== 'string' || target.model === '')
    throw new VectorError('E_VECTOR_INDEX_MISMATCH', `index '${target.index}' needs a model name`);
  if (!Number.isInteger(target.dimension) || target.dimension < 1 || target.dimension > 16000) {
    throw new VectorError(
      'E_VECTOR_DIMENSION',
      `index '${target.index}': dimension ${target.dimension} is outside 1..16000`,
    );
  }
  return table;
}

function mismatch(existing: IndexInfo, target: EmbeddingTarget): VectorError | undefined {
  return existing.model !== target.model || existing.dimension !== target.dimension
    ? new VectorError(
        'E_VECTOR_INDEX_MISMATCH',
        `index '${target.index}' holds ${existing.model} (${existing.dimension} dims), not ${target.model} (${target.dimension} dims): use a new index name for a new model or dimension`,
      )
    : undefined;
}

/** Under the catalog lock: the index as it now stands, or why it cannot be created. */
async function createIndex(
  tx: SqlExecutor,
  catalog: IndexCatalog,
  target: EmbeddingTarget,
  table: string,
  vectorType: VectorType,
): Promise<IndexInfo | VectorError> {
  const { s } = catalog;
  await catalogLock(tx, catalog.schema);
  catalog.forget(target.index);
  const existing = await catalog.lookup(tx, target.index);
  if (existing) return mismatch(existing, target) ?? existing;
  // Checked under the same lock retireIndex takes: a retirement and a re-creation cannot interleave.
  const marker = await catalog.retired(tx, target.index);
  if (marker) return retiredError(target.index, marker);
  const clash = await tx.query<{ name: string }>(`SELECT name FROM ${s}.vector_indexes WHERE table_name = $1`, [table]);
  if (clash.length > 0)
    return new VectorError(
      'E_VECTOR_INDEX_NAME',
      `index '${target.index}' would share table ${table} with index '${clash[0]!.name}'`,
    );
  const column =
    vectorType === 'pgvector'
      ? `vector(${target.dimension}) NOT NULL`
      : `real[] NOT NULL CHECK (array_ndims(embedding) = 1 AND array_length(embedding, 1) = ${target.dimension})`;
  // ON DELETE CASCADE: deleting a document removes its vectors from every index atomically.
  await tx.exec(`CREATE TABLE IF NOT EXISTS ${catalog.qualified(table)} (
  doc_id text COLLATE "C" PRIMARY KEY REFERENCES ${s}.documents (id) ON DELETE CASCADE,
  version bigint NOT NULL,
  model text NOT NULL,
  embedding ${column},
  updated_at timestamptz NOT NULL DEFAULT now()
)`);
  await tx.query(
    `INSERT INTO ${s}.vector_indexes (name, table_name, model, dimension, vector_type) VALUES ($1, $2, $3, $4, $5)`,
    [target.index, table, target.model, target.dimension, vectorType],
  );
  return { index: target.index, table, model: target.model, dimension: target.dimension, vectorType };
}
