/**
 * The lazy path on an application's own table (docs/guides/conversation-migration.md, "Your own
 * table"): the application's read path asks for a record by key and gets it at the current schema
 * version — upgraded with the same `upgradeRecord` the background runner uses, and written back
 * with the runner's conditional write (it lands only if the row is unchanged since the read;
 * otherwise the row is read again). The application keeps its own writes; Switchyard's repository
 * (create, appendMessages, migrateModel) stays on Switchyard's own table.
 */
import type { SqlClient } from '../../store/sql-client.ts';
import { resolveSource } from '../migration-source.ts';
import { upgradeInMemory } from '../read-upgrade.ts';
import { MAX_ATTEMPTS } from '../repository-context.ts';
import type { ConversationEvent, MigrationSource, ReadUpgrade } from '../types.ts';
import { inspectTable, type InspectedTable } from './inspect.ts';
import { ConversationError } from '../schema.ts';
import { checkStorage, type TableStorage } from './storage.ts';
import { userTableSql } from './table-sql.ts';

export interface TableReaderOptions {
  storage: TableStorage;
  /** The SchemaMigration in force (a value, or a function read on every call, e.g. `migrationFromBundle`). */
  migration: MigrationSource;
  /** Names the configuration in storage errors (default `storage`). */
  source?: string;
  /** Receives a `schema` migration event for every upgrade written. Must not throw. */
  onEvent?: (event: ConversationEvent) => void;
  now?: () => Date;
}

export interface TableRead {
  /** The key as text. */
  key: string;
  /** The record at the current version when it could be upgraded (with a version column, its `schemaVersion` is the column's). */
  record: unknown;
  upgrade: ReadUpgrade;
}

export interface TableReader {
  /** The record with this key, upgraded (and written back) when below the current version; null when absent. */
  get(key: string | number | bigint): Promise<TableRead | null>;
}

const KEY_FORMAT: Record<InspectedTable['keyCast'], RegExp | null> = {
  text: null,
  uuid: /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i,
  smallint: /^-?\d{1,5}$/,
  integer: /^-?\d{1,10}$/,
  bigint: /^-?\d{1,19}$/,
};

/** A key the column's type cannot hold is the caller's mistake, not a database error. */
function checkKey(key: string, cast: InspectedTable['keyCast']): void {
  const format = KEY_FORMAT[cast];
  if (key === '' || (format !== null && !format.test(key)))
    throw new ConversationError(
      'E_CONVERSATION_INVALID',
      `key ${JSON.stringify(key)} is not a ${cast} (the key column's type)`,
    );
}

/** Checks and inspects the table once (the `E_CONVERSATION_STORAGE_*` refusals), then serves reads. */
export async function openTableReader(client: SqlClient, options: TableReaderOptions): Promise<TableReader> {
  const source = options.source ?? 'storage';
  const inspected = await inspectTable(client, checkStorage(options.storage, source), source);
  const table = userTableSql(inspected);
  const migration = resolveSource(options.migration);
  const now = options.now ?? (() => new Date());
  const emit = (event: ConversationEvent): void => {
    try {
      options.onEvent?.(event);
    } catch {
      // telemetry never fails a read
    }
  };
  return {
    async get(keyValue) {
      const key = String(keyValue);
      checkKey(key, inspected.keyCast);
      let last: TableRead | null = null;
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const row = (await table.selectMany(client, [key]))[0];
        if (row === undefined) return null;
        const m = migration();
        const up = upgradeInMemory(row, m);
        if (up.kind === 'current')
          return { key, record: row.record, upgrade: { status: 'current', version: row.schemaVersion } };
        if (up.kind === 'failed') {
          const upgrade: ReadUpgrade = { status: 'failed', code: `E_CONVERSATION_${up.code}`, message: up.message };
          return { key, record: row.record, upgrade };
        }
        const written = await table.updateManyIfRevision(client, [
          { id: key, record: up.record, revision: row.revision },
        ]);
        last = { key, record: up.record, upgrade: { status: 'upgraded', from: up.from, to: up.to, written: false } };
        if (written.has(key)) {
          const { from, to } = up;
          emit({
            type: 'migration',
            time: now().getTime(),
            migration: 'schema',
            key: m?.id ?? '',
            subjectId: key,
            from: String(from),
            to: String(to),
          });
          return { ...last, upgrade: { status: 'upgraded', from, to, written: true } };
        }
        // The application wrote the row between our read and write: read it again and decide again.
      }
      return last;
    },
  };
}
