/**
 * The conversation record (issue 8, the article's "Deploying New LLM Versions Without Breaking
 * Conversations"): every conversation remembers the snapshot it runs on (`modelVersion`), every
 * message the model that produced it, and the record its own schema version. Fields this code does
 * not know are kept as they are: the whole record is stored as one JSON document.
 */
import type { PayloadSchemaMigration } from '@switchyard/runtime';
import type { MigrationEvent } from '@switchyard/runtime';

/** One message. `timestamp` is an ISO 8601 string (JSON has no dates). */
export interface ConversationMessage {
  role: string;
  content: string;
  /** The snapshot that produced an assistant message; on other roles, the conversation's snapshot at the time. */
  model: string;
  timestamp: string;
  [field: string]: unknown;
}

/** A consented, deliberate model switch (the article: "Only migrate deliberately, and with user consent"). */
export interface ModelHistoryEntry {
  from: string;
  to: string;
  /** ISO 8601 time of the switch. */
  at: string;
  /** Who consented (a user id, or an operator for retired snapshots). */
  consentBy: string;
  /** When the consent was given (ISO 8601), if it differs from `at`. */
  consentAt?: string;
  reason?: string;
}

/** The current record shape. Unknown fields are allowed and survive every write. */
export interface ConversationRecord {
  id: string;
  userId: string;
  messages: ConversationMessage[];
  /** The snapshot the conversation is pinned to. */
  modelVersion: string;
  schemaVersion: number;
  /** ISO 8601. */
  createdAt: string;
  /** ISO 8601 time of the last consented model switch. */
  migratedAt?: string;
  modelHistory?: ModelHistoryEntry[];
  [field: string]: unknown;
}

/** A record as read from the store, with its optimistic-concurrency revision. */
export interface StoredConversation {
  id: string;
  /** Incremented on every write; pass it back as `expectedRevision` to refuse lost updates. */
  revision: number;
  /**
   * The record. After `get` it is at the current schema version when a migration is configured and
   * the record could be upgraded; otherwise as stored (see `upgrade`).
   */
  record: ConversationRecord;
  /** What the read did to the record's schema (only on `get` and the writes built on it). */
  upgrade?: ReadUpgrade;
}

/**
 * - `current`: already at the current version (or no migration configured).
 * - `upgraded`: upgraded on read; `written` says whether it was stored (false when a concurrent
 *   writer kept winning: the returned record is still upgraded, the next read tries again).
 * - `failed`: the record cannot be upgraded by this migration (not an object, other version);
 *   it is returned and kept as stored.
 */
export type ReadUpgrade =
  | { status: 'current'; version: number | null }
  | { status: 'upgraded'; from: number; to: number; written: boolean }
  | { status: 'failed'; code: string; message: string };

/** The part of a SchemaMigration the repository needs (the bundle's payload entry fits). */
export type ConversationMigration = Pick<PayloadSchemaMigration, 'id' | 'from' | 'to' | 'upgrade'> &
  Partial<Pick<PayloadSchemaMigration, 'mode' | 'batchSize' | 'entity'>>;

/**
 * Where the current migration comes from. A function is read on every call, so a runtime bundle
 * that hot-swaps to a new SchemaMigration takes effect without reopening the repository.
 */
export type MigrationSource = ConversationMigration | null | (() => ConversationMigration | null | undefined);

/** A migration event without the serial and environment the application's runtime stamps on it. */
export type ConversationEvent = Omit<MigrationEvent, 'serial' | 'env'>;
