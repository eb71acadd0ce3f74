/** A runner problem with a stable code (`E_MIGRATE_*`). */
export class MigrateError extends Error {
  override name = 'MigrateError';
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}
