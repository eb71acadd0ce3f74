import { defaultStoreDir, openSqlClient, StoreError, storeOptionsFromEnv, type DatabaseSelection } from '../store/store.ts';
import type { SqlClient } from '../store/sql-client.ts';
import { VectorError } from './errors.ts';
import type { VectorType } from './schema.ts';
import { DEFAULT_VECTOR_SCHEMA, openVectorStore, type VectorStore } from './store.ts';

export type VectorDatabaseOptions =
  | { backend: 'pglite'; /** Data directory; in memory when omitted. */ dataDir?: string; schema?: string; vectorType?: VectorType | 'auto' }
  | { backend: 'postgres'; connectionString: string; schema?: string; poolSize?: number; vectorType?: VectorType | 'auto' };

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
    throw new VectorError(error instanceof StoreError && error.code === 'E_STORE_LOCKED' ? 'E_STORE_LOCKED' : 'E_STORE_OPEN', (error as Error).message);
  }
  try {
    return await openVectorStore(client, { schema: options.schema, vectorType: options.vectorType, ownsClient: true });
  } catch (error) {
    await client.close().catch(() => {});
    if (error instanceof VectorError) throw error;
    throw new VectorError('E_STORE_OPEN', `cannot prepare the vector store on ${options.backend}: ${(error as Error).message}`);
  }
}

/**
 * The embedded default: the project's one PGlite database (`.switchyard/data/events`), shared with
 * `switchyard analyze` and `migrate conversations`, so every command finds the same documents.
 */
export function defaultVectorStoreDir(projectRoot: string): string {
  return defaultStoreDir(projectRoot);
}

/**
 * Options from a command line selection and the environment, resolved exactly like the event store
 * (`storeOptionsFromEnv`), so every command finds the same database.
 */
export function vectorStoreOptionsFromEnv(projectRoot: string, env: NodeJS.ProcessEnv, selection: DatabaseSelection = {}): VectorDatabaseOptions {
  const o = storeOptionsFromEnv(projectRoot, env, { ...selection, schema: selection.schema ?? (env.SWITCHYARD_STORE_SCHEMA || DEFAULT_VECTOR_SCHEMA) });
  return o.backend === 'postgres' ? { backend: 'postgres', connectionString: o.connectionString, schema: o.schema } : { backend: 'pglite', dataDir: o.dataDir, schema: o.schema };
}
