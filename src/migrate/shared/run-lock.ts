/**
 * One runner at a time per (schema, migration): a second copy (cron plus an operator, say) would
 * double-count the checkpoint's counters, which are what "embedded exactly once" is read from.
 *
 * - PostgreSQL: a session-level `pg_try_advisory_lock` on a connection of its own, held for the
 *   whole run. The pool cannot promise that one connection stays checked out, hence the separate
 *   `pg` client; a killed process's connection closes and the server releases the lock.
 * - PGlite: one process at a time anyway (the data directory's lock, E_STORE_LOCKED), and advisory
 *   locks are re-entrant within its single session, so the guard is an in-process registry keyed
 *   on the client object.
 */
import pg from 'pg';
import type { SqlClient } from '../../store/sql-client.ts';

/** A held run lock. */
export interface RunLock {
  readonly key: string;
  release(): Promise<void>;
}

/** Another run holds the lock (`E_MIGRATE_RUNNING`), or the lock could not be taken (`E_MIGRATE_STORE`). */
export class RunLockError extends Error {
  override name = 'RunLockError';
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

const heldInProcess = new WeakMap<SqlClient, Set<string>>();

export interface RunLockTarget {
  /** The client the run uses (PGlite: the lock is registered on it). */
  client: SqlClient;
  /** PostgreSQL: where to open the lock's own connection. */
  connectionString?: string;
  schema: string;
  /** What runs, e.g. `embeddings:docs-embeddings-3-large`. */
  migration: string;
}

/** Takes the run lock or throws `RunLockError` (E_MIGRATE_RUNNING when another run holds it). */
export async function acquireRunLock(target: RunLockTarget): Promise<RunLock> {
  const key = `switchyard-migrate:${target.schema}:${target.migration}`;
  const busy = () =>
    new RunLockError(
      'E_MIGRATE_RUNNING',
      `another run of ${target.migration} is in progress on schema ${target.schema} (it holds the lock '${key}'); wait for it to finish or stop it — its checkpoint keeps the progress`,
    );
  const local = heldInProcess.get(target.client) ?? new Set<string>();
  heldInProcess.set(target.client, local);
  if (local.has(key)) throw busy();
  if (target.client.backend !== 'postgres') {
    local.add(key);
    return { key, release: async () => void local.delete(key) };
  }
  if (!target.connectionString) throw new RunLockError('E_MIGRATE_STORE', 'the run lock needs the PostgreSQL connection string');
  const session = new pg.Client({ connectionString: target.connectionString, connectionTimeoutMillis: 5000 });
  session.on('error', () => {}); // a dropped connection releases the lock server-side; the run notices on its own connection
  try {
    await session.connect();
    const rows = await session.query<{ locked: boolean }>('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked', [key]);
    if (!rows.rows[0]?.locked) throw busy();
  } catch (error) {
    await session.end().catch(() => {});
    if (error instanceof RunLockError) throw error;
    throw new RunLockError('E_MIGRATE_STORE', `cannot take the run lock: ${(error as Error).message}`);
  }
  local.add(key);
  return {
    key,
    async release() {
      local.delete(key);
      // Closing the session releases the lock; an explicit unlock first keeps it prompt on poolers.
      await session.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [key]).catch(() => {});
      await session.end().catch(() => {});
    },
  };
}
