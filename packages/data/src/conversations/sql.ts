/**
 * The SQL every conversation writer shares (the repository and the background runner), so the
 * columns copied out of the record and the revision check are decided in one place.
 */
import { quoteIdent, type SqlExecutor } from '../store/sql-client.ts';
import { numbersSurviveDoubles } from './json-precision.ts';

export interface ConversationRow {
  id: string;
  record: unknown;
  revision: number;
  schemaVersion: number | null;
  /** False when a number in the stored record would change through a JavaScript double (see json-precision.ts). */
  numbersExact: boolean;
}

/** A row as selected (`record::text AS record`): the text is parsed here, and checked for precision. */
export interface RawRow {
  id: string;
  record: string;
  revision: number | string;
  schema_version: number | null;
}

/** The indexed columns of a record: NULL where the record does not carry a usable value. */
export function columnsOf(record: unknown): {
  userId: string | null;
  schemaVersion: number | null;
  modelVersion: string | null;
} {
  const r =
    typeof record === 'object' && record !== null && !Array.isArray(record) ? (record as Record<string, unknown>) : {};
  const v = r.schemaVersion;
  return {
    userId: typeof r.userId === 'string' ? r.userId : null,
    // int4 range: anything else is kept in the record and left to upgradeRecord to judge.
    schemaVersion: typeof v === 'number' && Number.isInteger(v) && Math.abs(v) <= 2_147_483_647 ? v : null,
    modelVersion: typeof r.modelVersion === 'string' ? r.modelVersion : null,
  };
}

export function toRow(raw: RawRow): ConversationRow {
  return {
    id: raw.id,
    record: JSON.parse(raw.record) as unknown,
    revision: Number(raw.revision),
    schemaVersion: raw.schema_version === null ? null : Number(raw.schema_version),
    numbersExact: numbersSurviveDoubles(raw.record),
  };
}

/**
 * JSON text of a record for a `jsonb` parameter. Always text: `pg` would turn a top-level array
 * into a PostgreSQL array literal.
 */
export function jsonParam(value: unknown): string {
  return JSON.stringify(value);
}

/** Reads: by id, by ids, and keyset pages. */
function conversationReads(t: string) {
  return {
    async select(exec: SqlExecutor, id: string): Promise<ConversationRow | null> {
      const rows = await exec.query<RawRow>(
        `SELECT id, record::text AS record, revision, schema_version FROM ${t} WHERE id = $1`,
        [id],
      );
      return rows[0] ? toRow(rows[0]) : null;
    },
    async selectMany(exec: SqlExecutor, ids: string[]): Promise<ConversationRow[]> {
      if (ids.length === 0) return [];
      const rows = await exec.query<RawRow>(
        `SELECT id, record::text AS record, revision, schema_version FROM ${t} WHERE id IN (SELECT jsonb_array_elements_text($1::jsonb)) ORDER BY id`,
        [jsonParam(ids)],
      );
      return rows.map(toRow);
    },
    /** Keyset page in id order: rows with id > `after`, optionally only those not yet at `notVersion`. */
    async page(
      exec: SqlExecutor,
      after: string | null,
      limit: number,
      notVersion?: number,
    ): Promise<ConversationRow[]> {
      const params: unknown[] = [after, limit];
      let filter = '';
      if (notVersion !== undefined) {
        params.push(notVersion);
        filter = ' AND (schema_version IS NULL OR schema_version <> $3)';
      }
      const rows = await exec.query<RawRow>(
        `SELECT id, record::text AS record, revision, schema_version FROM ${t} WHERE ($1::text IS NULL OR id > $1)${filter} ORDER BY id LIMIT $2`,
        params,
      );
      return rows.map(toRow);
    },
  };
}

/** Single-row writes: insert, and the conditional update every repository write uses. */
function conversationWrites(t: string) {
  return {
    /** Inserts one record; false when the id exists. */
    async insert(exec: SqlExecutor, id: string, record: unknown): Promise<boolean> {
      const c = columnsOf(record);
      const rows = await exec.query<{ id: string }>(
        `INSERT INTO ${t} (id, user_id, schema_version, model_version, record) VALUES ($1, $2, $3, $4, $5::jsonb)
         ON CONFLICT (id) DO NOTHING RETURNING id`,
        [id, c.userId, c.schemaVersion, c.modelVersion, jsonParam(record)],
      );
      return rows.length === 1;
    },
    /**
     * Writes `record` only if the row is still at `revision`; returns the new revision, or null
     * when another writer got there first (the caller re-reads and decides again).
     */
    async updateIfRevision(exec: SqlExecutor, id: string, record: unknown, revision: number): Promise<number | null> {
      const c = columnsOf(record);
      const rows = await exec.query<{ revision: number | string }>(
        `UPDATE ${t} SET record = $2::jsonb, user_id = $3, schema_version = $4, model_version = $5, revision = revision + 1, updated_at = now()
         WHERE id = $1 AND revision = $6 RETURNING revision`,
        [id, jsonParam(record), c.userId, c.schemaVersion, c.modelVersion, revision],
      );
      return rows[0] ? Number(rows[0].revision) : null;
    },
  };
}

/** Batch writes: the runner's conditional batch update, and imports. */
function conversationBatchWrites(t: string) {
  return {
    /**
     * The batch form of `updateIfRevision`: one statement, each row written only if still at its
     * revision. Returns the ids that were written; the others changed meanwhile.
     */
    async updateManyIfRevision(
      exec: SqlExecutor,
      items: Array<{ id: string; record: unknown; revision: number }>,
    ): Promise<Set<string>> {
      if (items.length === 0) return new Set();
      const payload = items.map((i) => {
        const c = columnsOf(i.record);
        return { id: i.id, rev: String(i.revision), r: i.record, u: c.userId, v: c.schemaVersion, m: c.modelVersion };
      });
      const rows = await exec.query<{ id: string }>(
        `UPDATE ${t} AS c SET record = e.value->'r', user_id = e.value->>'u', schema_version = (e.value->>'v')::integer,
           model_version = e.value->>'m', revision = c.revision + 1, updated_at = now()
         FROM jsonb_array_elements($1::jsonb) AS e
         WHERE c.id = e.value->>'id' AND c.revision = (e.value->>'rev')::bigint
         RETURNING c.id`,
        [jsonParam(payload)],
      );
      return new Set(rows.map((r) => r.id));
    },
    /** Inserts records as they are (legacy imports, fixtures); existing ids are left alone. Returns how many were inserted. */
    async insertMany(exec: SqlExecutor, records: Array<{ id: string; record: unknown }>): Promise<number> {
      if (records.length === 0) return 0;
      const payload = records.map((i) => {
        const c = columnsOf(i.record);
        return { id: i.id, r: i.record, u: c.userId, v: c.schemaVersion, m: c.modelVersion };
      });
      const rows = await exec.query<{ id: string }>(
        `INSERT INTO ${t} (id, user_id, schema_version, model_version, record)
         SELECT e.value->>'id', e.value->>'u', (e.value->>'v')::integer, e.value->>'m', e.value->'r'
         FROM jsonb_array_elements($1::jsonb) AS e
         ON CONFLICT (id) DO NOTHING RETURNING id`,
        [jsonParam(payload)],
      );
      return rows.length;
    },
  };
}

/** The SQL over `<schema>.conversations` the repository and the background runner share. */
export function conversationSql(schema: string) {
  const t = `${quoteIdent(schema)}.conversations`;
  return { table: t, ...conversationReads(t), ...conversationWrites(t), ...conversationBatchWrites(t) };
}

export type ConversationSql = ReturnType<typeof conversationSql>;
