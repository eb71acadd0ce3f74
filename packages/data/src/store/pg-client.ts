import pg from 'pg';
import type { SqlClient, SqlExecutor } from './sql-client.ts';

export interface PgClientOptions {
  connectionString: string;
  /** Pool size (default 4). */
  max?: number;
  /** Give up connecting after this long, so an outage fails a batch quickly instead of hanging (default 2 s). */
  connectionTimeoutMillis?: number;
  /**
   * Client-side deadline for each statement of a write transaction (default 30 s): a connection
   * that hangs without resetting (a black-holed network) fails the batch — to be retried — and is
   * destroyed, instead of holding a pool slot forever.
   */
  writeQueryTimeoutMs?: number;
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
    keepAlive: true,
    options: `-c work_mem=${options.workMem ?? '64MB'}`,
  });
  // An idle connection that the server (or the network) drops emits 'error' on the pool; without a
  // listener Node would crash the process. The next query simply opens a new connection.
  pool.on('error', () => {});
  const writeTimeout = options.writeQueryTimeoutMs ?? 30_000;
  const executor = (target: pg.Pool | pg.PoolClient, queryTimeout?: number): SqlExecutor => ({
    async query<R extends object>(text: string, params: unknown[] = []) {
      // `query_timeout` per query is honoured by pg's Client (it is not in @types/pg's QueryConfig).
      const config = { text, values: params, ...(queryTimeout ? { query_timeout: queryTimeout } : {}) };
      return (await target.query(config as pg.QueryConfig)).rows as R[];
    },
    async exec(text: string) {
      await target.query({ text, ...(queryTimeout ? { query_timeout: queryTimeout } : {}) } as pg.QueryConfig);
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
        const tx = executor(client, writeTimeout);
        await tx.exec('BEGIN');
        const result = await fn(tx);
        await tx.exec('COMMIT');
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
