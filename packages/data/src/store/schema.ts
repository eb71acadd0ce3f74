import { applySchemaMigrations, type MigrationReport, type SchemaMigrationStep } from './schema-migrations.ts';
import type { SqlClient } from './sql-client.ts';

export type { MigrationReport } from './schema-migrations.ts';

/**
 * The store's own schema, versioned. Migrations are append-only: never edit one that has shipped,
 * add the next. `{s}` is replaced by the quoted schema name, so several stores (and parallel test
 * runs) can share one PostgreSQL database.
 *
 * Every row carries `(source, seq)`: the writing sink's id and the event's sequence number. The
 * unique key makes a retried batch idempotent — a batch whose commit succeeded but whose
 * acknowledgement was lost in an outage is not stored twice.
 */
export const STORE_MIGRATIONS: ReadonlyArray<SchemaMigrationStep> = [
  {
    version: 1,
    name: 'events',
    sql: `
CREATE TABLE {s}.exposures (
  source text NOT NULL, seq bigint NOT NULL,
  time_ms bigint NOT NULL, serial bigint NOT NULL, env text NOT NULL,
  subject text NOT NULL, key text NOT NULL, variant text NOT NULL, unit_key text NOT NULL,
  PRIMARY KEY (source, seq)
);
CREATE INDEX exposures_by_key ON {s}.exposures (subject, key, variant);
CREATE TABLE {s}.metrics (
  source text NOT NULL, seq bigint NOT NULL,
  time_ms bigint NOT NULL, serial bigint NOT NULL, env text NOT NULL,
  subject text NOT NULL, key text NOT NULL, variant text NOT NULL, unit_key text NOT NULL,
  metric text NOT NULL, value double precision NOT NULL,
  PRIMARY KEY (source, seq)
);
CREATE INDEX metrics_by_key ON {s}.metrics (subject, key, metric, variant);
CREATE TABLE {s}.shadow_pairs (
  source text NOT NULL, seq bigint NOT NULL,
  time_ms bigint NOT NULL, serial bigint NOT NULL, env text NOT NULL,
  rollout text NOT NULL, model text NOT NULL, primary_snapshot text NOT NULL, candidate_snapshot text NOT NULL,
  unit_key text NOT NULL, request_id text, similarity double precision,
  primary_output text, candidate_output text,
  primary_latency_ms double precision, candidate_latency_ms double precision, error text,
  PRIMARY KEY (source, seq)
);
CREATE INDEX shadow_pairs_by_rollout ON {s}.shadow_pairs (rollout, similarity);
CREATE TABLE {s}.migration_events (
  source text NOT NULL, seq bigint NOT NULL,
  time_ms bigint NOT NULL, serial bigint NOT NULL, env text NOT NULL,
  migration text NOT NULL, key text NOT NULL, subject_id text, from_value text NOT NULL, to_value text NOT NULL,
  PRIMARY KEY (source, seq)
);
`,
  },
  {
    version: 2,
    name: 'metric time index',
    // The charts' time bounds (min/max time per metric) become index lookups instead of full scans.
    sql: `CREATE INDEX metrics_by_time ON {s}.metrics (subject, key, metric, time_ms);`,
  },
  {
    version: 3,
    name: 'sequential decision state',
    // Per decision and test: the mSPRT mixing scale fixed at the first look and the running minimum
    // of the always-valid p-value (decision-state.ts). tau is NULL for tests without one (SRM).
    sql: `CREATE TABLE {s}.sequential_state (
  scope text NOT NULL, id text NOT NULL, env text NOT NULL, test text NOT NULL,
  tau double precision, min_p double precision NOT NULL, direction integer NOT NULL, looks integer NOT NULL,
  updated_ms bigint NOT NULL,
  PRIMARY KEY (scope, id, env, test)
);`,
  },
];

/**
 * Brings the store's schema up to date (see `applySchemaMigrations`: one transaction, an advisory
 * lock, already-applied versions skipped).
 */
export async function migrateStore(
  client: SqlClient,
  schema: string,
  migrations: ReadonlyArray<SchemaMigrationStep> = STORE_MIGRATIONS,
): Promise<MigrationReport> {
  return client.transaction((tx) =>
    applySchemaMigrations(tx, schema, {
      table: 'store_migrations',
      lockKey: `switchyard-store:${schema}`,
      steps: migrations,
    }),
  );
}
