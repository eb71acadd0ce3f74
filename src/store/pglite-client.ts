import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import type { SqlClient, SqlExecutor } from './sql-client.ts';

/**
 * Opens PGlite (in-process PostgreSQL compiled to WebAssembly). With `dataDir` the database lives
 * in that directory and survives restarts; without, it is in memory.
 */
export async function openPgliteClient(dataDir?: string): Promise<SqlClient> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const db = await PGlite.create(dataDir);
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
    close: () => db.close(),
  };
}
