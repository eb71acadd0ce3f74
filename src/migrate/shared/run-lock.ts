/**
 * One migration run at a time per (runner kind, schema, migration). A second copy of a run (cron
 * plus an operator, say) would keep the data safe — writes are idempotent or conditional — but
 * double-count the checkpoint's counters, which are what "embedded exactly once" and "upgraded N"
 * are read from, and its `--restart` could reset a checkpoint the first run is advancing.
 *
 * The lock is a session-level advisory lock in its two-key form,
 * `pg_try_advisory_lock(<kind namespace>, hashtext('<schema>:<migration>'))`:
 * - the first key is a fixed constant per runner kind, so an embeddings run and a conversations run
 *   can never exclude each other, whatever their names hash to; and the two-key form never meets
 *   the stores' own one-key locks (`pg_locks.objsubid` 2 vs 1);
 * - a session-level lock belongs to one connection and ends with it — also when the process is
 *   killed, so a crashed run never leaves a stale lock. A `pg` pool has no fixed session, so on
 *   PostgreSQL the lock lives on a dedicated connection ({@link openLockSession}), named in
 *   `pg_stat_activity` so that `E_MIGRATE_RUNNING` can say who holds it;
 * - PGlite is one session already: advisory locks are re-entrant within it, so an in-process
 *   registry keyed on the session makes a second run in the same process fail like a second
 *   process would (another process is stopped by the data directory's lock, `E_STORE_LOCKED`).
 *
 * When the lock's connection drops mid-run the lock is gone; {@link RunLock.lost} turns true and the
 * runners stop before their next batch with `E_MIGRATE_LOCK_LOST`, keeping the progress committed
 * so far.
 */
import pg from 'pg';
import type { SqlClient, SqlExecutor } from '@switchyard/data';
import { SwitchyardError } from '../../errors/index.ts';

/** Which runner holds a lock: each kind has its own key namespace. */
export type RunnerKind = 'embeddings' | 'conversations';

/**
 * The lock's first key per kind: fixed, distinct constants (ASCII 'SYME' / 'SYMC', so an operator
 * recognises them in `pg_locks.classid`).
 */
export const RUN_LOCK_NAMESPACES: Readonly<Record<RunnerKind, number>> = {
  embeddings: 0x53594d45,
  conversations: 0x53594d43,
};

/** A database session that can hold the lock: one connection for its whole life. */
export interface LockSession extends SqlExecutor {
  /** True once the connection failed or ended: a lock it held is gone with it. */
  readonly lost: boolean;
  close(): Promise<void>;
}

/** What a lock can be taken on: a {@link LockSession}, or a PGlite client (its one session). */
export type LockHolder = SqlExecutor & { readonly lost?: boolean };

/** A held run lock. */
export interface RunLock {
  /** `<kind>:<schema>:<migration>`, for messages. */
  readonly key: string;
  /** True when the session holding the lock has dropped (a PostgreSQL connection lost mid-run). */
  readonly lost: boolean;
  /** Releases the lock (and closes the session when the lock opened it). Idempotent. */
  release(): Promise<void>;
}

/**
 * What a runner does about the lock (the runners' `lock` option):
 * - omitted: on PGlite the run takes it on its own client; on PostgreSQL it is refused with
 *   `E_MIGRATE_LOCK_SESSION` (a pool has no session to hold it — say which of the below);
 * - `{ connectionString }`: the run opens a dedicated connection for it and closes it at the end;
 * - a {@link LockSession} you opened with {@link openLockSession} (you close it);
 * - `false`: no lock — only when something else guarantees a single runner.
 */
export type RunLockOption = LockSession | { connectionString: string } | false;

/** Lock problems: `E_MIGRATE_RUNNING`, `E_MIGRATE_LOCK_SESSION`, `E_MIGRATE_STORE`. */
export class RunLockError extends SwitchyardError {
  override name = 'RunLockError';
}

/** What is locked: the runner kind, the schema it works on, and its migration (plus target, for embeddings). */
export interface RunLockTarget {
  kind: RunnerKind;
  schema: string;
  /** The runner's name for the run within its kind, e.g. `docs-embeddings-3-large:docs-large` or `conversation-schema-v2`. */
  migration: string;
}

/**
 * Opens a dedicated PostgreSQL connection for a run's lock, named `switchyard migrate <kind>` in
 * `pg_stat_activity` so an operator (and `E_MIGRATE_RUNNING`) can see who holds it. Close it when
 * the run ends.
 */
export async function openLockSession(connectionString: string, kind?: RunnerKind): Promise<LockSession> {
  const client = new pg.Client({
    connectionString,
    application_name: kind ? `switchyard migrate ${kind}` : 'switchyard migrate',
    connectionTimeoutMillis: 5000,
    keepAlive: true,
  });
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

/** Sessions of this process and the lock keys they hold (see the module comment: PGlite re-entrancy). */
const heldHere = new WeakMap<object, Set<string>>();

/**
 * Takes the run lock on `session`, or throws `RunLockError` — `E_MIGRATE_RUNNING` naming the holder
 * (PostgreSQL backend pid, application, connected since) when another run has it. Never waits.
 */
export async function acquireRunLock(session: LockHolder, target: RunLockTarget): Promise<RunLock> {
  const namespace = RUN_LOCK_NAMESPACES[target.kind];
  const name = `${target.schema}:${target.migration}`;
  const key = `${target.kind}:${name}`;
  const busy = (holder: string): RunLockError =>
    new RunLockError(
      'E_MIGRATE_RUNNING',
      `another 'migrate ${target.kind}' run of ${target.migration} on schema ${target.schema} is in progress (${holder}). Wait for it to finish or stop it (Ctrl-C stops it after its current batch); a second run alongside would count its work twice. A killed run's lock ends with its database connection, and the next run resumes from the checkpoint.`,
    );
  const mine = heldHere.get(session) ?? new Set<string>();
  if (mine.has(key)) throw busy('in this process');
  let ok: boolean;
  try {
    const rows = await session.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::int, hashtext($2)) AS ok', [
      namespace,
      name,
    ]);
    ok = rows[0]?.ok === true;
  } catch (error) {
    throw new RunLockError('E_MIGRATE_STORE', `cannot take the run lock: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (!ok) {
    // Seeing another session's row needs pg_read_all_stats (or the same role); without it the message stays generic.
    const holders = await session
      .query<{ pid: number; app: string | null; since: string | null }>(
        `SELECT l.pid, a.application_name AS app, a.backend_start::text AS since
           FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
          WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
            AND l.classid = $1::int::oid AND l.objid = hashtext($2)::oid`,
        [namespace, name],
      )
      .catch(() => []);
    const h = holders[0];
    throw busy(
      h
        ? `PostgreSQL backend pid ${h.pid}${h.app ? `, application '${h.app}'` : ''}${h.since ? `, connected since ${h.since}` : ''}`
        : 'held by another session',
    );
  }
  mine.add(key);
  heldHere.set(session, mine);
  let released = false;
  return {
    key,
    get lost() {
      return session.lost === true;
    },
    async release() {
      if (released) return;
      released = true;
      mine.delete(key);
      // A lost session has no lock left to release; otherwise unlock now rather than at disconnect.
      if (session.lost !== true)
        await session.query('SELECT pg_advisory_unlock($1::int, hashtext($2))', [namespace, name]).catch(() => {});
    },
  };
}

/**
 * What the runners call: resolves their `lock` option ({@link RunLockOption}) against the client
 * the run uses, and returns the held lock, or null for `lock: false`. Throws `RunLockError`.
 */
export async function takeRunLock(
  client: SqlClient,
  option: RunLockOption | undefined,
  target: RunLockTarget,
): Promise<RunLock | null> {
  if (option === false) return null;
  if (option === undefined) {
    if (client.backend === 'pglite') return acquireRunLock(client, target);
    throw new RunLockError(
      'E_MIGRATE_LOCK_SESSION',
      `on PostgreSQL the ${target.kind} run needs a dedicated connection for its single-runner lock: pass lock: { connectionString } (or a session from openLockSession(url), or false when a single runner is guaranteed otherwise)`,
    );
  }
  if ('query' in option) return acquireRunLock(option, target);
  let session: LockSession;
  try {
    session = await openLockSession(option.connectionString, target.kind);
  } catch (error) {
    throw new RunLockError('E_MIGRATE_STORE', `cannot open the run lock's connection: ${(error as Error).message}`, {
      cause: error,
    });
  }
  try {
    const lock = await acquireRunLock(session, target);
    return {
      key: lock.key,
      get lost() {
        return lock.lost;
      },
      async release() {
        await lock.release();
        await session.close();
      },
    };
  } catch (error) {
    await session.close();
    throw error;
  }
}
