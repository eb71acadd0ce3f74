/**
 * The vector store: assembles the catalog, the document table, the write rule, index lifecycle
 * and search (one file each) over one SQL client. The same SQL runs on PGlite and PostgreSQL.
 */
import type { SqlClient } from '../store/sql-client.ts';
import { indexCatalog } from './catalog.ts';
import { documentOps } from './documents.ts';
import { embeddingWrites } from './embedding-writes.ts';
import { indexLifecycle } from './index-lifecycle.ts';
import { checkSchemaName } from './names.ts';
import { migrateVectorStore } from './schema.ts';
import { searchOps } from './search.ts';
import type { OpenVectorStoreOptions, VectorStore } from './types.ts';

export type {
  DocumentInput,
  EmbeddingRow,
  EmbeddingTarget,
  IndexInfo,
  OpenVectorStoreOptions,
  RetiredIndex,
  SearchHit,
  SearchOptions,
  StoredDocument,
  UpsertResult,
  VectorOps,
  VectorStore,
  VectorTransaction,
} from './types.ts';

export const DEFAULT_VECTOR_SCHEMA = 'switchyard';

/**
 * Opens the vector store over an existing SQL client (PGlite or `pg`): migrates its tables and
 * detects the vector type once. The same SQL runs on both backends.
 */
export async function openVectorStore(client: SqlClient, options: OpenVectorStoreOptions = {}): Promise<VectorStore> {
  const schema = checkSchemaName(options.schema ?? DEFAULT_VECTOR_SCHEMA);
  const migration = await migrateVectorStore(client, schema, options.vectorType ?? 'auto');
  const catalog = indexCatalog(schema);
  return {
    backend: client.backend,
    schema,
    vectorType: migration.vectorType,
    migration,
    client,
    ...embeddingWrites(catalog, client),
    ...indexLifecycle(client, catalog, migration.vectorType),
    ...documentOps(client, catalog.s),
    ...searchOps(client, catalog),
    async tableOf(index) {
      return catalog.qualified((await catalog.require(client, index)).table);
    },
    transaction(fn) {
      return client.transaction((tx) => fn({ sql: tx, ...embeddingWrites(catalog, tx) }));
    },
    async close() {
      if (options.ownsClient) await client.close();
    },
  };
}
