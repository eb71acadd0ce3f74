/**
 * The repository's public shapes: how it is opened, what its calls take and return. The behaviour is
 * in repository.ts and the step files it composes (docs/guides/conversation-migration.md).
 */
import type { ConversationEvent, ConversationMigration, MigrationSource, StoredConversation } from './types.ts';

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
