import { openSqlClient, StoreError, type DatabaseOptions } from '../store/store.ts';
import type { SqlClient } from '../store/sql-client.ts';
import { VectorError } from './errors.ts';
import type { VectorType } from './schema.ts';
import { openVectorStore, type VectorStore } from './store.ts';

/**
 * The event store's database options (commands resolve them with `storeOptionsFromEnv`, so every
 * command finds the same database), plus the vector column type to prefer.
 */
export type VectorDatabaseOptions = DatabaseOptions & { vectorType?: VectorType | 'auto' };

/**
 * Opens a database and a vector store that owns it (its `close()` closes the database). PGlite is
 * opened with pgvector loaded; PostgreSQL uses pgvector when the server has it, else `real[]`.
 * Errors: E_STORE_LOCKED (another process has the embedded database open), E_STORE_OPEN.
 */
export async function openVectorDatabase(options: VectorDatabaseOptions): Promise<VectorStore> {
  let client: SqlClient;
  try {
    client = await openSqlClient(options, { vector: true });
  } catch (error) {
    throw new VectorError(
      error instanceof StoreError && error.code === 'E_STORE_LOCKED' ? 'E_STORE_LOCKED' : 'E_STORE_OPEN',
      (error as Error).message,
      { cause: error },
    );
  }
  try {
    return await openVectorStore(client, { schema: options.schema, vectorType: options.vectorType, ownsClient: true });
  } catch (error) {
    await client.close().catch(() => {});
    if (error instanceof VectorError) throw error;
    throw new VectorError(
      'E_STORE_OPEN',
      `cannot prepare the vector store on ${options.backend}: ${(error as Error).message}`,
      { cause: error },
    );
  }
}
