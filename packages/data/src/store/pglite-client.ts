import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { SwitchyardError } from '@switchyard/runtime';
import { lockDirectory } from './dir-lock.ts';
import type { SqlClient, SqlExecutor } from './sql-client.ts';

/** Thrown when another live process has the embedded store open (code `E_STORE_LOCKED`). */
export class StoreLockedError extends SwitchyardError {
  override name = 'StoreLockedError';
  readonly pid: number;
  constructor(dir: string, pid: number) {
    super(
      'E_STORE_LOCKED',
      `the embedded store ${dir} is open in process ${pid}; PGlite allows one process at a time (use PostgreSQL for several)`,
      { hint: 'stop that process (e.g. the chat service) or use --database-url' },
    );
    this.pid = pid;
  }
}

export interface PgliteClientOptions {
  /**
   * Load the pgvector extension (`@electric-sql/pglite-pgvector`), so `CREATE EXTENSION vector`
   * works. Off by default: the event store does not need it and it costs start-up time.
   */
  vector?: boolean;
}

/**
 * Opens PGlite (in-process PostgreSQL compiled to WebAssembly). With `dataDir` the database lives
 * in that directory and survives restarts; without, it is in memory.
 */
export async function openPgliteClient(dataDir?: string, options: PgliteClientOptions = {}): Promise<SqlClient> {
  let lock: { release(): void } | undefined;
  if (dataDir) {
    mkdirSync(dataDir, { recursive: true });
    const result = lockDirectory(dataDir);
    if ('heldBy' in result) throw new StoreLockedError(dataDir, result.heldBy);
    lock = result;
  }
  let db: PGlite;
  try {
    if (options.vector) {
      // Loaded lazily: only vector-store users pay for the extension bundle.
      const { vector } = await import('@electric-sql/pglite-pgvector');
      db = await PGlite.create(dataDir, { extensions: { vector } });
    } else {
      db = await PGlite.create(dataDir);
    }
  } catch (error) {
    lock?.release();
    throw error;
  }
  // Analysis groups by unit; PostgreSQL's default 4MB work_mem would spill those groups to disk.
  await db.exec(`SET work_mem = '64MB'`);
  const executor = (target: Pick<PGlite, 'query' | 'exec'>): SqlExecutor => ({
    async query<R extends object>(text: string, params: unknown[] = []) {
      return (await target.query<R>(text, params)).rows;
    },
    async exec(text: string) {
      await target.exec(text);
    },
  });
  return {
    backend: 'pglite',
    ...executor(db),
    transaction: (fn) => db.transaction((tx) => fn(executor(tx))),
    async close() {
      try {
        await db.close();
      } finally {
        lock?.release();
      }
    },
  };
}
