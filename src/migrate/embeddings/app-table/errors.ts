import { SwitchyardError } from '../../../errors/index.ts';

/**
 * A plan's `storage:` (the application's own table) that cannot be used: a bad identifier
 * (`E_MIGRATE_STORAGE_NAME`), a table that does not exist (`E_MIGRATE_STORAGE_TABLE`), or a
 * column that is missing or of the wrong type or dimension (`E_MIGRATE_STORAGE_COLUMN`).
 */
export class AppTableError extends SwitchyardError {
  override name = 'AppTableError';
}
