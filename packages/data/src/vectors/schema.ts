import { applySchemaMigrations, type SchemaMigrationStep } from '../store/schema-migrations.ts';
import type { SqlClient } from '../store/sql-client.ts';
import { VectorError } from './errors.ts';
import { checkSchemaName } from './names.ts';

/** How vectors are stored: pgvector's `vector(N)` or, without the extension, `real[]`. */
export type VectorType = 'pgvector' | 'real[]';

/**
 * The vector store's own tables, versioned and append-only (never edit a shipped step, add the
 * next). `{s}` is the quoted schema. Index tables (`emb_*`) are created on demand by `ensureIndex`
 * and listed in `vector_indexes`.
 *
 * `documents.version` comes from one sequence, so a version is never reused — not even after a
 * delete and re-create — and "the embedding of version v" always names exactly one text. Ids use
 * the C collation so keyset order is byte order on every backend.
 */
export const VECTOR_STORE_MIGRATIONS: ReadonlyArray<SchemaMigrationStep> = [
  {
    version: 1,
    name: 'documents and index catalog',
    sql: `
CREATE SEQUENCE {s}.document_version;
CREATE TABLE {s}.documents (
  id text COLLATE "C" PRIMARY KEY,
  tenant text,
  content text NOT NULL,
  metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
  version bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX documents_by_tenant ON {s}.documents (tenant);
CREATE TABLE {s}.vector_indexes (
  name text PRIMARY KEY,
  table_name text NOT NULL UNIQUE,
  model text NOT NULL,
  dimension integer NOT NULL,
  vector_type text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
`,
  },
  {
    version: 2,
    name: 'embedding migration runner state',
    // Written by `switchyard migrate embeddings`. A checkpoint row changes in the same transaction
    // as the batch's vectors, so a killed run never double-counts or skips a batch.
    sql: `
CREATE TABLE {s}.migration_checkpoints (
  migration text NOT NULL,
  target_index text NOT NULL,
  last_doc_id text COLLATE "C",
  status text NOT NULL DEFAULT 'running',
  embedded bigint NOT NULL DEFAULT 0,
  skipped bigint NOT NULL DEFAULT 0,
  reconciled bigint NOT NULL DEFAULT 0,
  batches bigint NOT NULL DEFAULT 0,
  runs integer NOT NULL DEFAULT 1,
  started_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  PRIMARY KEY (migration, target_index)
);
CREATE TABLE {s}.migration_dead_letters (
  migration text NOT NULL,
  target_index text NOT NULL,
  doc_id text COLLATE "C" NOT NULL,
  version bigint NOT NULL,
  code text NOT NULL,
  message text NOT NULL,
  attempts integer NOT NULL,
  first_failed_at timestamptz NOT NULL DEFAULT now(),
  last_failed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (migration, target_index, doc_id)
);
CREATE TABLE {s}.migration_verifications (
  id bigserial PRIMARY KEY,
  migration text NOT NULL,
  env text NOT NULL,
  phase text NOT NULL,
  plan_fingerprint text NOT NULL,
  data_fingerprint text NOT NULL,
  passed boolean NOT NULL,
  report jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX migration_verifications_latest ON {s}.migration_verifications (migration, env, id);
`,
  },
  {
    version: 3,
    name: 'retired indexes',
    // Written by `switchyard migrate embeddings --cleanup` (VectorStore.retireIndex): an index a
    // cleanup dropped must not be re-created by an application instance still on an older route
    // (it would fill with only the documents written since, and a rollback would read it).
    sql: `
CREATE TABLE {s}.retired_indexes (
  name text PRIMARY KEY,
  table_name text NOT NULL,
  model text NOT NULL,
  dimension integer NOT NULL,
  reason text NOT NULL,
  retired_at timestamptz NOT NULL DEFAULT now()
);
`,
  },
  {
    version: 4,
    name: 'application table rows embedded',
    // Written by `switchyard migrate embeddings` on a plan with `storage:` (the application's own
    // table), in the same transaction as the row's new vector: the row's change column as it was
    // when embedded, and a digest of the vector written. A row whose change column has moved while
    // its vector is still ours was changed after it was embedded, and is re-embedded.
    sql: `
CREATE TABLE {s}.migration_row_versions (
  migration text NOT NULL,
  target_index text NOT NULL,
  row_key text NOT NULL,
  source_version text NOT NULL,
  vector_md5 text NOT NULL,
  embedded_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (migration, target_index, row_key)
);
`,
  },
];

export interface VectorStoreSchemaReport {
  applied: number[];
  current: number;
  /** Column type new indexes get on this database. */
  vectorType: VectorType;
}

/**
 * Creates or upgrades the vector store's tables in `schema` (idempotent; one transaction under an
 * advisory lock so two processes starting together do not race), then detects pgvector:
 * installed → used; available → `CREATE EXTENSION` attempted; otherwise (or when that fails, e.g.
 * no privilege) vectors are stored as `real[]`. `prefer` forces a type (`real[]` always works).
 */
export async function migrateVectorStore(
  client: SqlClient,
  schema: string,
  prefer: VectorType | 'auto' = 'auto',
): Promise<VectorStoreSchemaReport> {
  const { applied, current } = await client.transaction((tx) =>
    applySchemaMigrations(tx, checkSchemaName(schema), {
      table: 'vector_store_migrations',
      lockKey: `switchyard-vectors:${schema}`,
      steps: VECTOR_STORE_MIGRATIONS,
    }),
  );
  const vectorType = prefer === 'real[]' ? 'real[]' : await detectPgvector(client);
  if (prefer === 'pgvector' && vectorType !== 'pgvector') {
    throw new VectorError(
      'E_VECTOR_NO_PGVECTOR',
      'pgvector is not available on this database (PGlite needs the vector extension loaded; PostgreSQL needs the pgvector package)',
    );
  }
  return { applied, current, vectorType };
}

/** Whether pgvector is (or can be made) available; never throws. */
export async function detectPgvector(client: SqlClient): Promise<VectorType> {
  try {
    const installed = await client.query(`SELECT 1 FROM pg_extension WHERE extname = 'vector'`);
    if (installed.length > 0) return 'pgvector';
    const available = await client.query(`SELECT 1 FROM pg_available_extensions WHERE name = 'vector'`);
    if (available.length === 0) return 'real[]';
    await client.exec('CREATE EXTENSION IF NOT EXISTS vector');
    return 'pgvector';
  } catch {
    return 'real[]';
  }
}
