import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { openPgClient } from '../../src/store/pg-client.ts';
import { openVectorDatabase, openVectorStore, type VectorStore } from '../../src/vectors/index.ts';
import { PG_URL, dropSchema, uniqueSchema } from '../store/fixtures.ts';

export { PG_URL, dropSchema, uniqueSchema };

export interface Backend {
  name: string;
  expectedType: 'pgvector' | 'real[]';
  open(): Promise<VectorStore>;
  cleanup(): Promise<void>;
}

/** PGlite in-process with pgvector. */
export function pgliteBackend(): Backend {
  return {
    name: 'pglite (pgvector, in-process)',
    expectedType: 'pgvector',
    open: () => openVectorDatabase({ backend: 'pglite' }),
    cleanup: async () => {},
  };
}

/**
 * The `pg` adapter over a real wire-protocol connection to PGlite's socket server (pgvector).
 * PGLiteSocketServer runs every connection on one PGlite session and queues per protocol message:
 * two connections could interleave the Parse/Bind/Execute of unnamed statements, so the pool has
 * one connection. The server accepts two: after a failed transaction the adapter destroys its
 * connection, and the replacement may connect before the server has detached the old one.
 */
export function pgliteSocketBackend(): Backend {
  let db: PGlite | undefined;
  let server: PGLiteSocketServer | undefined;
  return {
    name: 'pg → PGlite socket server (pgvector, wire protocol)',
    expectedType: 'pgvector',
    async open() {
      db = await PGlite.create(undefined, { extensions: { vector } });
      server = new PGLiteSocketServer({ db, port: 0, host: '127.0.0.1', maxConnections: 2 });
      await server.start();
      const client = openPgClient({
        connectionString: `postgres://postgres@${server.getServerConn()}/postgres`,
        max: 1,
      });
      return openVectorStore(client, { ownsClient: true });
    },
    async cleanup() {
      await server?.stop();
      await db?.close();
    },
  };
}

/** The machine's PostgreSQL 15 (no pgvector: real[] and exact SQL dot product), a schema per run. */
export function postgresBackend(label: string): Backend {
  const schema = uniqueSchema(label);
  return {
    name: 'pg → PostgreSQL 15 (real[])',
    expectedType: 'real[]',
    open: () => openVectorDatabase({ backend: 'postgres', connectionString: PG_URL, schema }),
    cleanup: () => dropSchema(schema),
  };
}

/** A unit vector along axis `i` of `dim`, tilted slightly toward axis `j` (distinct scores). */
export function axis(dim: number, i: number, tilt = 0, j = (i + 1) % dim): number[] {
  const v = new Array<number>(dim).fill(0);
  v[i] = 1;
  v[j] = (v[j] ?? 0) + tilt;
  return v;
}
