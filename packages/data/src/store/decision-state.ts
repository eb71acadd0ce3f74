import { quoteIdent, type SqlExecutor } from './sql-client.ts';

/**
 * What a scheduled decision remembers between looks, per test (see analysis/sequential-state.ts):
 * the mSPRT mixing scale fixed at the first look and the running minimum of the always-valid
 * p-value with the effect's sign there. Keyed by the decision (scope `experiment` or `canary`, its
 * id, the environment filter, '' for none) and the test key (`<metric>/<variant>` or `srm`).
 */
export interface StoredLookState {
  tau: number;
  minP: number;
  direction: -1 | 0 | 1;
  looks: number;
}

export interface DecisionStateStore {
  load(scope: string, id: string, env: string): Promise<Record<string, StoredLookState>>;
  /** Upserts every test's state of one decision in one statement. */
  save(scope: string, id: string, env: string, states: Record<string, StoredLookState>, atMs?: number): Promise<void>;
}

export function decisionStateStore(db: SqlExecutor, schema: string): DecisionStateStore {
  const t = `${quoteIdent(schema)}.sequential_state`;
  return {
    async load(scope, id, env) {
      const rows = await db.query<{ test: string; tau: number | null; minP: number; direction: number; looks: number }>(
        `SELECT test, tau::float8 AS tau, min_p::float8 AS "minP", direction::int AS direction, looks::int AS looks
         FROM ${t} WHERE scope = $1 AND id = $2 AND env = $3`,
        [scope, id, env],
      );
      const out: Record<string, StoredLookState> = {};
      for (const r of rows)
        out[r.test] = {
          tau: r.tau ?? Number.NaN,
          minP: r.minP,
          direction: Math.sign(r.direction) as -1 | 0 | 1,
          looks: r.looks,
        };
      return out;
    },
    async save(scope, id, env, states, atMs = Date.now()) {
      const entries = Object.entries(states);
      if (entries.length === 0) return;
      // NaN tau (tests without one) is stored as NULL; LEAST keeps the minimum even if two writers race.
      await db.query(
        `INSERT INTO ${t} (scope, id, env, test, tau, min_p, direction, looks, updated_ms)
         SELECT $1, $2, $3, u.test, u.tau, u.min_p, u.direction, u.looks, $4
         FROM unnest($5::text[], $6::float8[], $7::float8[], $8::int[], $9::int[]) AS u(test, tau, min_p, direction, looks)
         ON CONFLICT (scope, id, env, test) DO UPDATE SET
           min_p = LEAST(${t}.min_p, EXCLUDED.min_p),
           direction = CASE WHEN EXCLUDED.min_p < ${t}.min_p THEN EXCLUDED.direction ELSE ${t}.direction END,
           looks = GREATEST(${t}.looks, EXCLUDED.looks), updated_ms = EXCLUDED.updated_ms`,
        [
          scope,
          id,
          env,
          atMs,
          entries.map(([k]) => k),
          entries.map(([, v]) => (Number.isFinite(v.tau) ? v.tau : null)),
          entries.map(([, v]) => v.minP),
          entries.map(([, v]) => v.direction),
          entries.map(([, v]) => v.looks),
        ],
      );
    },
  };
}
