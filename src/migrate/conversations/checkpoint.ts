/**
 * The runner's checkpoint: one row per SchemaMigration in `conversation_migration_progress`
 * (keyset position and counters), written in the same transaction as its batch so a killed run
 * resumes exactly after the last committed batch.
 */
import type { PayloadSchemaMigration } from '@switchyard/runtime';
import { quoteIdent, type SqlExecutor } from '@switchyard/data';
import type { Counters } from './types.ts';

export interface Checkpoint {
  lastId: string | null;
  counters: Counters;
  status: string;
  from: number;
  to: number;
}

export function checkpointSql(schema: string) {
  const t = `${quoteIdent(schema)}.conversation_migration_progress`;
  return {
    async load(exec: SqlExecutor, id: string): Promise<Checkpoint | null> {
      const rows = await exec.query<Record<string, string | number | null>>(
        `SELECT last_id, scanned, upgraded, current, failed, retried, status, from_version, to_version FROM ${t} WHERE migration = $1`,
        [id],
      );
      const r = rows[0];
      if (!r) return null;
      return {
        lastId: r.last_id === null ? null : String(r.last_id),
        counters: {
          scanned: Number(r.scanned),
          upgraded: Number(r.upgraded),
          current: Number(r.current),
          failed: Number(r.failed),
          retried: Number(r.retried),
          conflicts: 0,
        },
        status: String(r.status),
        from: Number(r.from_version),
        to: Number(r.to_version),
      };
    },
    /** Starts a fresh run: cursor at the beginning, counters at zero. */
    async start(exec: SqlExecutor, m: PayloadSchemaMigration): Promise<void> {
      await exec.query(
        `INSERT INTO ${t} (migration, from_version, to_version, last_id, status) VALUES ($1, $2, $3, NULL, 'running')
         ON CONFLICT (migration) DO UPDATE SET from_version = EXCLUDED.from_version, to_version = EXCLUDED.to_version, last_id = NULL,
           scanned = 0, upgraded = 0, current = 0, failed = 0, retried = 0, status = 'running', started_at = now(), updated_at = now(), finished_at = NULL`,
        [m.id, m.from, m.to],
      );
    },
    async save(
      exec: SqlExecutor,
      id: string,
      lastId: string | null,
      c: Counters,
      status: 'running' | 'complete',
    ): Promise<void> {
      await exec.query(
        `UPDATE ${t} SET last_id = $2, scanned = $3, upgraded = $4, current = $5, failed = $6, retried = $7, status = $8, updated_at = now(),
           finished_at = CASE WHEN $8 = 'complete' THEN now() ELSE NULL END
         WHERE migration = $1`,
        [id, lastId, c.scanned, c.upgraded, c.current, c.failed, c.retried, status],
      );
    },
  };
}

export type CheckpointSql = ReturnType<typeof checkpointSql>;
