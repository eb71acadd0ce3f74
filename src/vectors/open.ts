import { openPgClient } from '../store/pg-client.ts';
import { defaultStoreDir } from '../store/store.ts';
import { openPgliteClient, StoreLockedError } from '../store/pglite-client.ts';
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
    client =
      options.backend === 'pglite'
        ? await openPgliteClient(options.dataDir, { vector: true })
        : openPgClient({ connectionString: options.connectionString, max: options.poolSize ?? 4 });
  } catch (error) {
    if (error instanceof StoreLockedError) throw new VectorError('E_STORE_LOCKED', `${error.message}; stop the other process or set --database-url`);
    throw new VectorError('E_STORE_OPEN', `cannot open the ${options.backend} database: ${(error as Error).message}`);
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
 * Options from the environment, like the event store: `databaseUrl`, else `SWITCHYARD_DATABASE_URL`
 * (a postgres:// URL) selects a server; otherwise embedded PGlite in `dataDir` (default
 * `defaultVectorStoreDir`). `SWITCHYARD_STORE_SCHEMA` overrides the schema name.
 */
export function vectorStoreOptionsFromEnv(projectRoot: string, env: NodeJS.ProcessEnv, databaseUrl?: string, dataDir?: string): VectorDatabaseOptions {
  const url = databaseUrl ?? env.SWITCHYARD_DATABASE_URL;
  const schema = env.SWITCHYARD_STORE_SCHEMA || DEFAULT_VECTOR_SCHEMA;
  return url ? { backend: 'postgres', connectionString: url, schema } : { backend: 'pglite', dataDir: dataDir ?? defaultVectorStoreDir(projectRoot), schema };
}
