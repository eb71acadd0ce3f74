/**
 * Application tables Switchyard did not create, with their own names and columns, for the
 * `storage:` runs (docs/guides/conversation-migration.md, "Your own table").
 */
import { upgradeRecord } from '@switchyard/runtime';
import { quoteIdent, type SqlExecutor, type TableStorage } from '@switchyard/data';
import { V2, legacyRecord } from './helpers.ts';

/** One shape of application table: how it is created, seeded and read back. */
export interface AppTable {
  label: string;
  /** The SchemaMigration's `storage:` block for a table in `schema`. */
  storage(schema: string): TableStorage;
  create(exec: SqlExecutor, schema: string): Promise<void>;
  /** Inserts `count` legacy records (legacyRecord(i)); keys are the row's key as text. */
  seed(exec: SqlExecutor, schema: string, count: number): Promise<void>;
  /** Every row: key (text) → the record with its version as `upgradeRecord` sees it. */
  read(exec: SqlExecutor, schema: string): Promise<Map<string, Record<string, unknown>>>;
  /** The key of legacy record `i` as text. */
  keyOf(i: number): string;
  /** An application write to row `key`: appends a message the way the application would. */
  appWrite(exec: SqlExecutor, schema: string, key: string, content: string): Promise<void>;
}

const q = quoteIdent;

/** `chat_threads(thread_id bigint pk, payload jsonb, payload_version int, modified_at timestamptz)`: the version in a column. */
export const VERSION_COLUMN: AppTable = {
  label: 'jsonb record, integer version column, updatedAt, bigint key',
  storage: (schema) => ({
    table: `${schema}.chat_threads`,
    key: 'thread_id',
    record: 'payload',
    version: 'payload_version',
    updatedAt: 'modified_at',
  }),
  async create(exec, schema) {
    await exec.exec(`CREATE SCHEMA IF NOT EXISTS ${q(schema)};
CREATE TABLE ${q(schema)}.chat_threads (
  thread_id bigint PRIMARY KEY,
  payload jsonb NOT NULL,
  payload_version integer,
  modified_at timestamptz NOT NULL DEFAULT now()
)`);
  },
  async seed(exec, schema, count) {
    const rows = Array.from({ length: count }, (_, i) => {
      const { schemaVersion, ...rest } = legacyRecord(i);
      return { k: i + 1, p: rest, v: schemaVersion ?? null };
    });
    await exec.query(
      `INSERT INTO ${q(schema)}.chat_threads (thread_id, payload, payload_version)
       SELECT (e->>'k')::bigint, e->'p', (e->>'v')::integer FROM jsonb_array_elements($1::jsonb) AS e`,
      [JSON.stringify(rows)],
    );
  },
  async read(exec, schema) {
    const rows = await exec.query<{ k: string; p: string; v: number | null }>(
      `SELECT thread_id::text AS k, payload::text AS p, payload_version AS v FROM ${q(schema)}.chat_threads`,
    );
    return new Map(
      rows.map((r) => {
        const p = JSON.parse(r.p) as Record<string, unknown>;
        return [r.k, r.v === null ? p : { ...p, schemaVersion: r.v }];
      }),
    );
  },
  keyOf: (i) => String(i + 1),
  async appWrite(exec, schema, key, content) {
    await exec.query(
      `UPDATE ${q(schema)}.chat_threads SET payload = jsonb_set(payload, '{messages}', payload->'messages' || jsonb_build_array(jsonb_build_object('role', 'user', 'content', $2::text))), modified_at = clock_timestamp()
       WHERE thread_id = $1::bigint`,
      [key, content],
    );
  },
};

/** `legacy_chats(chat_key text pk, body json, rev integer)`: the version inside the record, a revision column. */
export const VERSION_IN_JSON: AppTable = {
  label: 'json record, version inside it, revision column, text key',
  storage: (schema) => ({ table: `${schema}.legacy_chats`, key: 'chat_key', record: 'body', revision: 'rev' }),
  async create(exec, schema) {
    await exec.exec(`CREATE SCHEMA IF NOT EXISTS ${q(schema)};
CREATE TABLE ${q(schema)}.legacy_chats (chat_key text PRIMARY KEY, body json NOT NULL, rev integer NOT NULL DEFAULT 1)`);
  },
  async seed(exec, schema, count) {
    const rows = Array.from({ length: count }, (_, i) => legacyRecord(i));
    await exec.query(
      `INSERT INTO ${q(schema)}.legacy_chats (chat_key, body) SELECT e->>'id', (e)::json FROM jsonb_array_elements($1::jsonb) AS e`,
      [JSON.stringify(rows)],
    );
  },
  async read(exec, schema) {
    const rows = await exec.query<{ k: string; p: string }>(
      `SELECT chat_key AS k, body::text AS p FROM ${q(schema)}.legacy_chats`,
    );
    return new Map(rows.map((r) => [r.k, JSON.parse(r.p) as Record<string, unknown>]));
  },
  keyOf: (i) => `c-${String(i).padStart(6, '0')}`,
  async appWrite(exec, schema, key, content) {
    await exec.query(
      `UPDATE ${q(schema)}.legacy_chats SET body = jsonb_set(body::jsonb, '{messages}', (body::jsonb)->'messages' || jsonb_build_array(jsonb_build_object('role', 'user', 'content', $2::text)))::json, rev = rev + 1
       WHERE chat_key = $1`,
      [key, content],
    );
  },
};

/** `notes(note_id integer pk, doc text)`: JSON in a text column, version inside it, no concurrency column. */
export const TEXT_COLUMN: AppTable = {
  label: 'text record, version inside it, no concurrency column, integer key',
  storage: (schema) => ({ table: `${schema}.notes`, key: 'note_id', record: 'doc' }),
  async create(exec, schema) {
    await exec.exec(`CREATE SCHEMA IF NOT EXISTS ${q(schema)};
CREATE TABLE ${q(schema)}.notes (note_id integer PRIMARY KEY, doc text NOT NULL)`);
  },
  async seed(exec, schema, count) {
    const rows = Array.from({ length: count }, (_, i) => ({ k: i + 1, p: JSON.stringify(legacyRecord(i)) }));
    await exec.query(
      `INSERT INTO ${q(schema)}.notes (note_id, doc) SELECT (e->>'k')::integer, e->>'p' FROM jsonb_array_elements($1::jsonb) AS e`,
      [JSON.stringify(rows)],
    );
  },
  async read(exec, schema) {
    const rows = await exec.query<{ k: string; p: string }>(
      `SELECT note_id::text AS k, doc AS p FROM ${q(schema)}.notes`,
    );
    return new Map(rows.map((r) => [r.k, JSON.parse(r.p) as Record<string, unknown>]));
  },
  keyOf: (i) => String(i + 1),
  async appWrite(exec, schema, key, content) {
    await exec.query(
      `UPDATE ${q(schema)}.notes SET doc = jsonb_set(doc::jsonb, '{messages}', (doc::jsonb)->'messages' || jsonb_build_array(jsonb_build_object('role', 'user', 'content', $2::text)))::text
       WHERE note_id = $1::integer`,
      [key, content],
    );
  },
};

export const APP_TABLES = [VERSION_COLUMN, VERSION_IN_JSON, TEXT_COLUMN];

/** What every legacy record must be after the run: V2's upgrade of it (schemaVersion as the table reports it). */
export function expectedAfter(i: number): Record<string, unknown> {
  const up = upgradeRecord(V2, legacyRecord(i));
  if (!up.ok) throw new Error(up.message);
  return up.record;
}
