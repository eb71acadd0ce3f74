/**
 * The application's own table for the `storage:` tests: `<schema>.kb_articles(article_id text
 * primary key, body text, modified timestamptz, emb_old, emb_new)`, created by the test with its
 * own names, and the old vectors the application wrote before the migration.
 */
import type { Embedder, SqlExecutor } from '@switchyard/data';
import type { EmbeddingMigrationResource, EmbeddingStorage } from '../../../src/config/index.ts';
import { FROM, docText, testPlan } from './corpus.ts';

export const articleId = (i: number): string => `kb-${String(i).padStart(4, '0')}`;

/** Column types of the two vector columns. */
export interface VectorColumns {
  old: string;
  new: string;
}

export const PGVECTOR: VectorColumns = { old: 'vector(64)', new: 'vector(96)' };
export const ARRAYS: VectorColumns = { old: 'real[]', new: 'jsonb' };

/** Creates the schema and table and inserts `n` articles (no vectors yet). */
export async function createKbTable(sql: SqlExecutor, schema: string, n: number, types: VectorColumns): Promise<void> {
  await sql.exec(`CREATE SCHEMA ${schema}`);
  await sql.exec(`CREATE TABLE ${schema}.kb_articles (
  article_id text PRIMARY KEY,
  body text,
  modified timestamptz NOT NULL DEFAULT clock_timestamp(),
  emb_old ${types.old},
  emb_new ${types.new}
)`);
  const ids = Array.from({ length: n }, (_, i) => articleId(i));
  const bodies = Array.from({ length: n }, (_, i) => docText(i));
  await sql.query(`INSERT INTO ${schema}.kb_articles (article_id, body) SELECT * FROM unnest($1::text[], $2::text[])`, [
    ids,
    bodies,
  ]);
}

/** What the application did before the migration: every article embedded with the old model. */
export async function fillOldVectors(
  sql: SqlExecutor,
  schema: string,
  embedder: Embedder,
  types: VectorColumns,
): Promise<void> {
  const rows = await sql.query<{ article_id: string; body: string }>(
    `SELECT article_id, body FROM ${schema}.kb_articles ORDER BY article_id`,
  );
  const vectors = await embedder.embed(
    FROM.model,
    FROM.dimension,
    rows.map((r) => r.body),
  );
  const literal = (v: Float32Array) =>
    types.old.startsWith('vector') ? `[${Array.from(v).join(',')}]` : `{${Array.from(v).join(',')}}`;
  const cast = types.old.startsWith('vector') ? 'vector' : 'real[]';
  for (let i = 0; i < rows.length; i++) {
    await sql.query(`UPDATE ${schema}.kb_articles SET emb_old = $2::${cast} WHERE article_id = $1`, [
      rows[i]!.article_id,
      literal(vectors[i]!),
    ]);
  }
}

export function kbStorage(schema: string, overrides: Partial<EmbeddingStorage> = {}): EmbeddingStorage {
  return {
    table: `${schema}.kb_articles`,
    key: 'article_id',
    text: 'body',
    updatedAt: 'modified',
    from: { column: 'emb_old' },
    to: { column: 'emb_new' },
    ...overrides,
  };
}

export function kbPlan(schema: string, overrides: Partial<EmbeddingStorage> = {}): EmbeddingMigrationResource {
  return testPlan({
    migration: 'kb-upgrade',
    storage: kbStorage(schema, overrides),
    backfill: { batchSize: 10, concurrency: 2 },
  });
}

/** The new vectors as stored, by article id, read back as numbers whatever the column type. */
export async function newVectors(sql: SqlExecutor, schema: string): Promise<Map<string, number[]>> {
  const rows = await sql.query<{ article_id: string; v: string | null }>(
    `SELECT article_id, emb_new::text AS v FROM ${schema}.kb_articles ORDER BY article_id`,
  );
  return new Map(
    rows
      .filter((r) => r.v !== null)
      .map(
        (r) =>
          [
            r.article_id,
            r
              .v!.replace(/^[[{]|[\]}]$/g, '')
              .split(',')
              .map(Number),
          ] as const,
      ),
  );
}
