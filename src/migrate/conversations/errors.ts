import { SwitchyardError } from '../../errors/index.ts';

/** A runner problem with a stable code (`E_MIGRATE_*`). */
export class MigrateError extends SwitchyardError {
  override name = 'MigrateError';
}
