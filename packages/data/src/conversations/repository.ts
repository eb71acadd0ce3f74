/**
 * The conversation repository: conversations stored in PostgreSQL (PGlite embedded or a server
 * through `pg`, the same SQL), pinned to their model snapshot, upgraded lazily on read to the
 * current schema version, written with optimistic concurrency, and moved to another model only by
 * a deliberate, consented call that leaves an audit trail.
 */
import { randomUUID } from 'node:crypto';
import type { SwitchyardClient } from '@switchyard/runtime';
import { upgradeRecord } from '@switchyard/runtime';
import type { SqlClient } from '../store/sql-client.ts';
import { ConversationError, DEFAULT_CONVERSATION_SCHEMA, checkSchemaName, migrateConversationStore } from './schema.ts';
import { conversationSql, toRow, type ConversationRow, type RawRow } from './sql.ts';
import type {
  ConversationEvent,
  ConversationMessage,
  ConversationMigration,
  ConversationRecord,
  MigrationSource,
  ModelHistoryEntry,
  ReadUpgrade,
  StoredConversation,
} from './types.ts';

const NUMBER_PRECISION_MESSAGE =
  'the record holds a number with more precision than a JavaScript double; rewriting it would change the value, so it is left as stored';

/** Conflicting writers retried before giving up (a hot conversation written by many requests at once). */
const MAX_ATTEMPTS = 8;

export interface ConversationRepositoryOptions {
  /** PostgreSQL schema holding the tables (default `switchyard`). */
  schema?: string;
  /**
   * The SchemaMigration in force: a value, or a function read on every call (e.g.
   * {@link migrationFromBundle}) so a hot-swapped bundle takes effect immediately. Without one,
   * records are read as stored and created at `schemaVersion`.
   */
  migration?: MigrationSource;
  /**
   * The schema version of new records while no migration is in force (none given, or the source
   * returns null — e.g. the finished plan was removed from the bundle): the `to` of the last
   * migration your records went through. There is deliberately no default: a constant would stamp
   * new records with a version whose fields they may lack, and they would never be upgraded. Without
   * it, `create` refuses with `E_CONVERSATION_SCHEMA_VERSION` while no migration is in force; reading,
   * appending and importing never need it. A migration in force always wins (new records get its `to`).
   */
  schemaVersion?: number;
  /** Receives every migration event (lazy schema upgrades written, consented model switches). Must not throw. */
  onEvent?: (event: ConversationEvent) => void;
  /** Clock (tests). */
  now?: () => Date;
  /** Skip creating the tables (they exist; e.g. the caller ran `migrateConversationStore`). */
  skipSchemaSetup?: boolean;
}

export interface NewMessage {
  role: string;
  content: string;
  /** Defaults to the conversation's `modelVersion`. */
  model?: string;
  /** ISO 8601; defaults to now. */
  timestamp?: string;
  [field: string]: unknown;
}

export interface CreateConversationInput {
  userId: string;
  /** The snapshot to pin (the runtime's `resolveModel(...).pin`, or its `value` when the alias follows). */
  modelVersion: string;
  /** Default: a random UUID. */
  id?: string;
  messages?: NewMessage[];
  /** ISO 8601; default now. */
  createdAt?: string;
  /** Any further fields are stored as they are. */
  [field: string]: unknown;
}

export interface WriteOptions {
  /** Refuse (`E_CONVERSATION_CONFLICT`) unless the stored revision is this one. Without it, conflicting writes are retried on the fresh record. */
  expectedRevision?: number;
}

export interface MigrateModelInput extends WriteOptions {
  /** The snapshot to move to. */
  to: string;
  /** Who consented and when (ISO 8601; default now). Required: a model switch without consent is refused. */
  consent: { by: string; at?: string };
  reason?: string;
  /** Model alias for the event's `key` (default `chat`). */
  alias?: string;
}

export interface MigrateModelResult {
  conversation: StoredConversation;
  /** False when the conversation was already on `to` (nothing written, no event). */
  changed: boolean;
  /** The `conversation-model` migration event (also given to `onEvent`); null when unchanged. */
  event: ConversationEvent | null;
}

export interface ConversationRepository {
  readonly schema: string;
  /** The migration in force right now (null when none). */
  currentMigration(): ConversationMigration | null;
  /** The schema version new records get: the migration's `to`, else the configured `schemaVersion`, else null (create refuses). */
  currentSchemaVersion(): number | null;
  create(input: CreateConversationInput): Promise<StoredConversation>;
  /** The conversation, upgraded on read (and written back) when it is below the current version; null when absent. */
  get(id: string): Promise<StoredConversation | null>;
  appendMessages(id: string, messages: NewMessage[], options?: WriteOptions): Promise<StoredConversation>;
  /** The deliberate, consented model switch of one conversation. */
  migrateModel(id: string, input: MigrateModelInput): Promise<MigrateModelResult>;
  /** Keyset page over all records in id order, as stored (no upgrade). `next` is the cursor for the following page. */
  scan(options?: {
    after?: string | null;
    limit?: number;
  }): Promise<{ items: StoredConversation[]; next: string | null }>;
  /** A user's conversations in id order, upgraded in memory (not written). */
  listByUser(
    userId: string,
    options?: { after?: string | null; limit?: number },
  ): Promise<{ items: StoredConversation[]; next: string | null }>;
  /** Inserts records exactly as given (legacy data, fixtures); existing ids are left alone. Returns how many were inserted. */
  importRecords(records: unknown[]): Promise<number>;
  /** Record counts per stored schema version (`null`: no integer schemaVersion). */
  countByVersion(): Promise<Array<{ schemaVersion: number | null; count: number }>>;
}

/**
 * A migration source reading the runtime's current decision table (a `SwitchyardClient` or an
 * `Engine`): the SchemaMigration `id` of whatever bundle is live at the time of each call.
 */
export function migrationFromBundle(
  source: Pick<SwitchyardClient, 'definition'>,
  id: string,
): () => ConversationMigration | null {
  return () => source.definition('schemaMigrations', id);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function resolveSource(source: MigrationSource | undefined): () => ConversationMigration | null {
  if (typeof source === 'function') {
    return () => {
      try {
        return source() ?? null;
      } catch {
        return null; // a broken source must not break reads: records are then served as stored
      }
    };
  }
  const fixed = source ?? null;
  return () => fixed;
}

function checkId(id: unknown, what = 'conversation id'): asserts id is string {
  if (typeof id !== 'string' || id === '' || id.length > 512) {
    throw new ConversationError(
      'E_CONVERSATION_INVALID',
      `${what} must be a non-empty string of at most 512 characters`,
    );
  }
}

function checkIso(value: unknown, field: string): void {
  if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) {
    throw new ConversationError('E_CONVERSATION_INVALID', `${field} must be an ISO 8601 date string`);
  }
}

/** Opens the repository (creating its tables unless `skipSchemaSetup`). */
export async function openConversationRepository(
  client: SqlClient,
  options: ConversationRepositoryOptions = {},
): Promise<ConversationRepository> {
  const schema = options.schema ?? DEFAULT_CONVERSATION_SCHEMA;
  checkSchemaName(schema);
  if (!options.skipSchemaSetup) await migrateConversationStore(client, schema);
  const sql = conversationSql(schema);
  const migration = resolveSource(options.migration);
  const now = options.now ?? (() => new Date());
  const emit = (event: ConversationEvent): void => {
    try {
      options.onEvent?.(event);
    } catch {
      // telemetry never fails a conversation write
    }
  };
  const configuredVersion = options.schemaVersion;
  if (configuredVersion !== undefined && (!Number.isSafeInteger(configuredVersion) || configuredVersion < 1)) {
    throw new ConversationError(
      'E_CONVERSATION_INVALID',
      `schemaVersion must be a positive integer, got ${String(configuredVersion)}`,
    );
  }
  const currentSchemaVersion = (): number | null => migration()?.to ?? configuredVersion ?? null;

  const stored = (row: ConversationRow, upgrade?: ReadUpgrade): StoredConversation => ({
    id: row.id,
    revision: row.revision,
    record: row.record as ConversationRecord,
    ...(upgrade ? { upgrade } : {}),
  });

  /** Upgrades in memory; `changed` false when already current or no migration applies. */
  const upgradeInMemory = (
    row: ConversationRow,
    m: ConversationMigration | null,
  ):
    | { kind: 'current' }
    | { kind: 'failed'; code: string; message: string }
    | { kind: 'upgraded'; record: Record<string, unknown>; from: number; to: number } => {
    if (m === null) return { kind: 'current' };
    const r = upgradeRecord(m, row.record);
    if (!r.ok) return { kind: 'failed', code: r.code, message: r.message };
    if (!r.changed) return { kind: 'current' };
    if (!row.numbersExact) return { kind: 'failed', code: 'NUMBER_PRECISION', message: NUMBER_PRECISION_MESSAGE };
    return { kind: 'upgraded', record: r.record, from: r.from, to: r.to };
  };

  /** Reads one record, upgrading it (and writing it back) when it is below the current version. `exact`: see json-precision.ts. */
  const read = async (id: string): Promise<{ conversation: StoredConversation; exact: boolean } | null> => {
    checkId(id);
    let last: { record: Record<string, unknown>; from: number; to: number; row: ConversationRow } | null = null;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const row = await sql.select(client, id);
      if (row === null) return null;
      const exact = row.numbersExact;
      const m = migration();
      const up = upgradeInMemory(row, m);
      if (up.kind === 'current')
        return { conversation: stored(row, { status: 'current', version: row.schemaVersion }), exact };
      if (up.kind === 'failed')
        return {
          conversation: stored(row, { status: 'failed', code: `E_CONVERSATION_${up.code}`, message: up.message }),
          exact,
        };
      last = { ...up, row };
      const revision = await sql.updateIfRevision(client, id, up.record, row.revision);
      if (revision !== null) {
        emit({
          type: 'migration',
          time: now().getTime(),
          migration: 'schema',
          key: (m as ConversationMigration).id,
          subjectId: id,
          from: String(up.from),
          to: String(up.to),
        });
        return {
          conversation: {
            id,
            revision,
            record: up.record as ConversationRecord,
            upgrade: { status: 'upgraded', from: up.from, to: up.to, written: true },
          },
          exact,
        };
      }
      // Another writer changed the row between our read and write: read it again and decide again.
    }
    const l = last as NonNullable<typeof last>;
    return {
      conversation: {
        id,
        revision: l.row.revision,
        record: l.record as ConversationRecord,
        upgrade: { status: 'upgraded', from: l.from, to: l.to, written: false },
      },
      exact: l.row.numbersExact,
    };
  };

  const get = async (id: string): Promise<StoredConversation | null> => (await read(id))?.conversation ?? null;

  /** Reads (upgrading), applies `change`, writes conditionally; retries on conflict unless `expectedRevision` is given. */
  const modify = async (
    id: string,
    options: WriteOptions,
    change: (record: ConversationRecord) => ConversationRecord | null,
  ): Promise<{ conversation: StoredConversation; changed: boolean }> => {
    checkId(id);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const found = await read(id);
      if (found === null) throw new ConversationError('E_CONVERSATION_NOT_FOUND', `no conversation '${id}'`);
      const current = found.conversation;
      if (current.upgrade?.status === 'failed') {
        const code =
          current.upgrade.code === 'E_CONVERSATION_NUMBER_PRECISION'
            ? current.upgrade.code
            : 'E_CONVERSATION_UNSUPPORTED_VERSION';
        throw new ConversationError(
          code,
          `conversation '${id}' cannot be brought to schema version ${currentSchemaVersion() ?? '(none configured)'}: ${current.upgrade.message}`,
        );
      }
      if (options.expectedRevision !== undefined && current.revision !== options.expectedRevision) {
        throw new ConversationError(
          'E_CONVERSATION_CONFLICT',
          `conversation '${id}' is at revision ${current.revision}, not ${options.expectedRevision}: read it again`,
        );
      }
      const next = change(current.record);
      if (next === null) return { conversation: current, changed: false };
      if (!found.exact) {
        throw new ConversationError(
          'E_CONVERSATION_NUMBER_PRECISION',
          `conversation '${id}': ${NUMBER_PRECISION_MESSAGE}`,
        );
      }
      const revision = await sql.updateIfRevision(client, id, next, current.revision);
      if (revision !== null) return { conversation: { id, revision, record: next }, changed: true };
      if (options.expectedRevision !== undefined) {
        throw new ConversationError(
          'E_CONVERSATION_CONFLICT',
          `conversation '${id}' changed while it was being written: read it again`,
        );
      }
    }
    throw new ConversationError(
      'E_CONVERSATION_CONFLICT',
      `conversation '${id}' kept changing during ${MAX_ATTEMPTS} attempts`,
    );
  };

  const normalizeMessages = (messages: unknown, modelVersion: string): ConversationMessage[] => {
    if (!Array.isArray(messages)) throw new ConversationError('E_CONVERSATION_INVALID', 'messages must be an array');
    const at = now().toISOString();
    return messages.map((m: unknown, i) => {
      if (!isObject(m) || typeof m.role !== 'string' || typeof m.content !== 'string') {
        throw new ConversationError(
          'E_CONVERSATION_INVALID',
          `messages[${i}] must be an object with string role and content`,
        );
      }
      if (m.model !== undefined && typeof m.model !== 'string')
        throw new ConversationError('E_CONVERSATION_INVALID', `messages[${i}].model must be a string`);
      if (m.timestamp !== undefined) checkIso(m.timestamp, `messages[${i}].timestamp`);
      return {
        ...m,
        role: m.role,
        content: m.content,
        model: (m.model as string | undefined) ?? modelVersion,
        timestamp: (m.timestamp as string | undefined) ?? at,
      };
    });
  };

  const page = async (rows: ConversationRow[], limit: number, upgrade: boolean) => {
    const m = upgrade ? migration() : null;
    const items = rows.map((row) => {
      if (!upgrade) return stored(row);
      const up = upgradeInMemory(row, m);
      if (up.kind === 'upgraded')
        return {
          id: row.id,
          revision: row.revision,
          record: up.record as ConversationRecord,
          upgrade: { status: 'upgraded', from: up.from, to: up.to, written: false } as ReadUpgrade,
        };
      if (up.kind === 'failed')
        return stored(row, { status: 'failed', code: `E_CONVERSATION_${up.code}`, message: up.message });
      return stored(row, { status: 'current', version: row.schemaVersion });
    });
    return { items, next: rows.length === limit ? (rows[rows.length - 1] as ConversationRow).id : null };
  };

  const checkLimit = (limit: number | undefined): number => {
    const l = limit ?? 100;
    if (!Number.isInteger(l) || l < 1 || l > 10_000)
      throw new ConversationError('E_CONVERSATION_INVALID', 'limit must be an integer from 1 to 10000');
    return l;
  };

  return {
    schema,
    currentMigration: migration,
    currentSchemaVersion,

    async create(input) {
      if (!isObject(input)) throw new ConversationError('E_CONVERSATION_INVALID', 'create() needs an object');
      const { userId, modelVersion, id: givenId, messages = [], createdAt, ...extra } = input;
      checkId(userId, 'userId');
      if (typeof modelVersion !== 'string' || modelVersion === '')
        throw new ConversationError(
          'E_CONVERSATION_INVALID',
          'modelVersion must be a non-empty string (the snapshot to pin)',
        );
      const id = givenId ?? randomUUID();
      checkId(id);
      if (createdAt !== undefined) checkIso(createdAt, 'createdAt');
      const m = migration();
      const version = m ? m.from : configuredVersion;
      if (version === undefined) {
        throw new ConversationError(
          'E_CONVERSATION_SCHEMA_VERSION',
          'no SchemaMigration is in force and no schemaVersion is configured, so a new record would get an arbitrary version: pass openConversationRepository(client, { schemaVersion: <the to of your last migration> }) or a migration',
        );
      }
      let record: Record<string, unknown> = {
        ...extra,
        id,
        userId,
        messages: normalizeMessages(messages, modelVersion),
        modelVersion,
        schemaVersion: version,
        createdAt: createdAt ?? now().toISOString(),
      };
      if (m) {
        // A new record gets exactly the fields an upgraded one has (the migration's defaults for
        // whatever the caller did not give), so lazy, background and new records agree.
        const up = upgradeRecord(m, record);
        if (!up.ok)
          throw new ConversationError(
            'E_CONVERSATION_INVALID',
            `the new record cannot be brought to schema version ${m.to}: ${up.message}`,
          );
        record = up.record;
      }
      if (!(await sql.insert(client, id, record)))
        throw new ConversationError('E_CONVERSATION_EXISTS', `conversation '${id}' already exists`);
      return { id, revision: 1, record: record as ConversationRecord };
    },

    get,

    async appendMessages(id, messages, options = {}) {
      const { conversation } = await modify(id, options, (record) => {
        const model = typeof record.modelVersion === 'string' ? record.modelVersion : '';
        const added = normalizeMessages(messages, model);
        const before = Array.isArray(record.messages) ? record.messages : [];
        return { ...record, messages: [...before, ...added] };
      });
      return conversation;
    },

    async migrateModel(id, input) {
      if (!isObject(input) || typeof input.to !== 'string' || input.to === '')
        throw new ConversationError('E_CONVERSATION_INVALID', 'migrateModel needs `to`, the snapshot to move to');
      const consent = input.consent;
      if (!isObject(consent) || typeof consent.by !== 'string' || consent.by === '') {
        throw new ConversationError(
          'E_CONVERSATION_CONSENT_REQUIRED',
          'a conversation changes model only with consent: pass consent: { by, at? }',
        );
      }
      if (consent.at !== undefined) checkIso(consent.at, 'consent.at');
      let entry: ModelHistoryEntry | null = null;
      const result = await modify(id, input, (record) => {
        const from = typeof record.modelVersion === 'string' ? record.modelVersion : '';
        if (from === input.to) return null;
        const at = now().toISOString();
        entry = {
          from,
          to: input.to,
          at,
          consentBy: consent.by,
          ...(consent.at !== undefined && consent.at !== at ? { consentAt: consent.at } : {}),
          ...(input.reason ? { reason: input.reason } : {}),
        };
        const history = Array.isArray(record.modelHistory) ? record.modelHistory : [];
        return { ...record, modelVersion: input.to, migratedAt: at, modelHistory: [...history, entry] };
      });
      if (!result.changed || entry === null) return { conversation: result.conversation, changed: false, event: null };
      const e: ModelHistoryEntry = entry;
      const event: ConversationEvent = {
        type: 'migration',
        time: Date.parse(e.at),
        migration: 'conversation-model',
        key: input.alias ?? 'chat',
        subjectId: id,
        from: e.from,
        to: e.to,
      };
      emit(event);
      return { conversation: result.conversation, changed: true, event };
    },

    async scan(options = {}) {
      const limit = checkLimit(options.limit);
      return page(await sql.page(client, options.after ?? null, limit), limit, false);
    },

    async listByUser(userId, options = {}) {
      checkId(userId, 'userId');
      const limit = checkLimit(options.limit);
      const rows = await client.query<RawRow>(
        `SELECT id, record::text AS record, revision, schema_version FROM ${sql.table} WHERE user_id = $1 AND ($2::text IS NULL OR id > $2) ORDER BY id LIMIT $3`,
        [userId, options.after ?? null, limit],
      );
      return page(rows.map(toRow), limit, true);
    },

    async importRecords(records) {
      if (!Array.isArray(records))
        throw new ConversationError('E_CONVERSATION_INVALID', 'importRecords needs an array');
      const items = records.map((r, i) => {
        const id = isObject(r) ? r.id : undefined;
        if (typeof id !== 'string' || id === '')
          throw new ConversationError('E_CONVERSATION_INVALID', `records[${i}] has no string id`);
        return { id, record: r };
      });
      let inserted = 0;
      for (let i = 0; i < items.length; i += 1000) inserted += await sql.insertMany(client, items.slice(i, i + 1000));
      return inserted;
    },

    async countByVersion() {
      const rows = await client.query<{ schema_version: number | null; n: number | string }>(
        `SELECT schema_version, count(*) AS n FROM ${sql.table} GROUP BY schema_version ORDER BY schema_version NULLS FIRST`,
      );
      return rows.map((r) => ({
        schemaVersion: r.schema_version === null ? null : Number(r.schema_version),
        count: Number(r.n),
      }));
    },
  };
}
