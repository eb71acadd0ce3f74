/**
 * The one shape of a thrown Switchyard error: a stable code to branch on (`E_…`), a message saying
 * what went wrong, an optional one-line hint saying what to do, and the error it wraps as `cause`.
 * Every coded error class of the repository extends it (docs/ARCHITECTURE.md, "Errors and
 * results"); the catalogue of codes is docs/error-codes.md. It lives in the runtime package because
 * that package has no dependencies and everything else may import it; the runtime itself throws
 * only from `createClient` and `ready()` — its hot path answers with data, never with an exception.
 */
export interface SwitchyardErrorOptions {
  /** What to do about it, in one line. */
  hint?: string;
  /** The error this one wraps (kept for logs and `SWITCHYARD_DEBUG=1`). */
  cause?: unknown;
}

export class SwitchyardError extends Error {
  override name = 'SwitchyardError';
  /** Stable code, e.g. `E_STORE_OPEN`; codes are API and are never reused for another meaning. */
  readonly code: string;
  readonly hint: string | undefined;
  constructor(code: string, message: string, options: SwitchyardErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
  }
}

/** The stable code of any thrown value (a SwitchyardError, a Node error's `code`), or undefined. */
export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}
