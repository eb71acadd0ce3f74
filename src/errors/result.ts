/**
 * A failure as data: the fields of a `SwitchyardError` without the throw, so a pure step can say
 * what went wrong and the command decides how to print it. The runtime's non-throwing answers use
 * the same `{ ok: false, code, message }` shape.
 */
export interface Problem {
  ok: false;
  /** Stable code (`E_…`), catalogued in docs/error-codes.md. */
  code: string;
  message: string;
  /** What to do about it, in one line. */
  hint?: string;
}

/**
 * The result of a pure step that fails in at most one way: its fields with `ok: true`, or a
 * `Problem`. Steps that check user input and can find many positioned problems return `Checked<T>`
 * (src/config/diagnostics.ts) instead.
 */
export type Result<T extends object> = ({ ok: true } & T) | Problem;

/** Builds a `Problem` (the hint is left out when there is none, so JSON output stays stable). */
export function problem(code: string, message: string, hint?: string): Problem {
  return hint === undefined ? { ok: false, code, message } : { ok: false, code, message, hint };
}
