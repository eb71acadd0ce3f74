/**
 * One `migrate conversations` run at a time per (schema, migration): a session-level advisory lock
 * (`pg_try_advisory_lock`) held for the whole run. Two runs at once would keep the data safe (writes
 * are conditional) but double-count the checkpoint's counters, and a second run's `--restart` would
 * reset a checkpoint the first one is advancing.
 *
 * A session-level lock belongs to one database connection and ends with it — also when the process
 * is killed, so a crashed run never leaves a stale lock. PGlite is one session already; a `pg` pool
 * has no fixed session, so on PostgreSQL the lock lives on a dedicated connection
 * ({@link openLockSession}).
 */
import pg from 'pg';
import type { SqlExecutor } from '../../store/sql-client.ts';
import { MigrateError } from './errors.ts';

/** The lock's first key: the namespace of conversation-migration runs (two-key form: it never meets the store's one-key locks). */
const NAMESPACE = 'switchyard-migrate-conversations';

/** A database session that can hold the lock: one connection for its whole life. */
export interface LockSession extends SqlExecutor {
  /** True once the connection failed or ended: the lock is gone with it. */
  readonly lost: boolean;
  close(): Promise<void>;
}

export interface RunLock {
  /** True when the session holding the lock has dropped (a PostgreSQL connection lost mid-run). */
  readonly lost: boolean;
  release(): Promise<void>;
}

/**
 * Opens a dedicated PostgreSQL connection for a run's lock (named `switchyard migrate conversations`
 * in `pg_stat_activity`, so an operator can see who holds it). Close it when the run ends.
 */
export async function openLockSession(connectionString: string): Promise<LockSession> {
  const client = new pg.Client({ connectionString, application_name: 'switchyard migrate conversations', connectionTimeoutMillis: 5000, keepAlive: true });
  let lost = false;
  // Without a listener a dropped connection would crash the process; the run checks `lost` instead.
  client.on('error', () => {
    lost = true;
  });
  client.on('end', () => {
    lost = true;
  });
  await client.connect();
  return {
    get lost() {
      return lost;
    },
    async query<R extends object>(text: string, params: unknown[] = []) {
      return (await client.query(text, params)).rows as R[];
    },
    async exec(text: string) {
      await client.query(text);
    },
    async close() {
      await client.end().catch(() => {});
    },
  };
}

/**
 * Sessions of this process and the locks they hold: advisory locks are re-entrant within one
 * session, so two runs sharing one session (two runs on one PGlite in one process) would both get
 * the database's lock. This map makes the second one fail like a second process would.
 */
const heldHere = new WeakMap<object, Set<string>>();

/**
 * Takes the run lock for (`schema`, `migration`) on `session`, or throws `E_MIGRATE_RUNNING` naming
 * the holder when another run has it. Never waits.
 */
export async function acquireRunLock(session: SqlExecutor & { readonly lost?: boolean }, schema: string, migration: string): Promise<RunLock> {
  const key = `${schema}:${migration}`;
  const mine = heldHere.get(session) ?? new Set<string>();
  const busy = (holder: string): MigrateError =>
    new MigrateError(
      'E_MIGRATE_RUNNING',
      `another 'migrate conversations' run of ${migration} on schema ${schema} is in progress (${holder}). Wait for it to finish or stop it (Ctrl-C stops after its current batch); this run would count its records twice. A killed run's lock ends with its database connection, and the next run resumes from its checkpoint.`,
    );
  if (mine.has(key)) throw busy('in this process');
  const rows = await session.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(hashtext($1), hashtext($2)) AS ok', [NAMESPACE, key]);
  if (rows[0]?.ok !== true) {
    const holders = await session
      .query<{ pid: number; app: string | null; since: string | null }>(
        `SELECT l.pid, a.application_name AS app, a.backend_start::text AS since
           FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
          WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
            AND l.classid = hashtext($1)::oid AND l.objid = hashtext($2)::oid`,
        [NAMESPACE, key],
      )
      .catch(() => []);
    const h = holders[0];
    throw busy(h ? `PostgreSQL backend pid ${h.pid}${h.app ? `, application '${h.app}'` : ''}${h.since ? `, connected since ${h.since}` : ''}` : 'held by another session');
  }
  mine.add(key);
  heldHere.set(session, mine);
  let released = false;
  return {
    get lost() {
      return session.lost === true;
    },
    async release() {
      if (released) return;
      released = true;
      mine.delete(key);
      // A lost session has no lock left to release.
      if (session.lost !== true) await session.query('SELECT pg_advisory_unlock(hashtext($1), hashtext($2))', [NAMESPACE, key]).catch(() => {});
    },
  };
}
