import pg from 'pg';
import type { SqlClient, SqlExecutor } from './sql-client.ts';

export interface PgClientOptions {
  connectionString: string;
  /** Pool size (default 4). */
  max?: number;
  /** Give up connecting after this long, so an outage fails a batch quickly instead of hanging (default 2 s). */
  connectionTimeoutMillis?: number;
  /** Per-connection `work_mem` (default 64MB): analysis groups by unit, which spills to disk at PostgreSQL's 4MB. */
  workMem?: string;
}

/** Opens a `pg` pool on a PostgreSQL server. */
export function openPgClient(options: PgClientOptions): SqlClient {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max ?? 4,
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 2000,
    idleTimeoutMillis: 10_000,
    options: `-c work_mem=${options.workMem ?? '64MB'}`,
  });
  // An idle connection that the server (or the network) drops emits 'error' on the pool; without a
  // listener Node would crash the process. The next query simply opens a new connection.
  pool.on('error', () => {});
  const executor = (target: pg.Pool | pg.PoolClient): SqlExecutor => ({
    async query<R extends object>(text: string, params: unknown[] = []) {
      return (await target.query(text, params)).rows as R[];
    },
    async exec(text: string) {
      await target.query(text);
    },
  });
  return {
    backend: 'postgres',
    ...executor(pool),
    async transaction(fn) {
      const client = await pool.connect();
      // A connection reset while checked out is emitted on the client; the failing query already
      // rejects, so the event only needs a listener (else Node treats it as uncaught).
      const ignore = () => {};
      client.on('error', ignore);
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const result = await fn(executor(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        // No ROLLBACK round trip (it can hang on a dead connection): destroying the connection below
        // makes the server abort the transaction.
        broken = error as Error;
        throw error;
      } finally {
        // A connection that failed mid-transaction may be dead: destroy it rather than reuse it.
        client.off('error', ignore);
        client.release(broken);
      }
    },
    close: () => pool.end(),
  };
}
