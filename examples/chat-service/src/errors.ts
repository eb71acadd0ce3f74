import { SwitchyardError } from '@switchyard/runtime';

/**
 * Errors with stable codes. `ApiError` is what the HTTP layer turns into a JSON error body
 * (`{ error: { code, message } }`) with its status; anything else becomes a 500 with
 * `E_INTERNAL` and a generic message — a stack trace never reaches a client.
 * `ServiceError` is a start-up or configuration problem the command line prints.
 */

/** The error codes the HTTP API answers with (documented in README.md). */
export const API_ERRORS = {
  E_BAD_JSON: 400,
  E_BAD_REQUEST: 400,
  E_BODY_TOO_LARGE: 413,
  E_UNSUPPORTED_MEDIA_TYPE: 415,
  E_NOT_FOUND: 404,
  E_METHOD_NOT_ALLOWED: 405,
  E_CONVERSATION_NOT_FOUND: 404,
  E_REQUEST_NOT_FOUND: 404,
  E_CONSENT_REQUIRED: 403,
  E_NO_MIGRATION_AVAILABLE: 409,
  E_CONFLICT: 409,
  E_CONVERSATION_UNSUPPORTED: 409,
  E_CONVERSATION_FULL: 409,
  E_FEEDBACK_EXISTS: 409,
  E_CONFIG_NOT_READY: 503,
  E_CONFIG_UNAVAILABLE: 503,
  E_MODEL_UNAVAILABLE: 502,
  E_SEARCH_UNAVAILABLE: 503,
  E_SHUTTING_DOWN: 503,
  E_INTERNAL: 500,
} as const;

export type ApiErrorCode = keyof typeof API_ERRORS;

/**
 * An error the client may see: a stable code, an HTTP status and a message saying what to do.
 * `internal` is upstream detail (the model provider's or the database's own error text): the HTTP
 * layer logs it with the request id and never sends it — such text can carry key fragments, table
 * names or hosts.
 */
export class ApiError extends SwitchyardError {
  override name = 'ApiError';
  declare readonly code: ApiErrorCode;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;
  readonly internal: string | undefined;
  constructor(code: ApiErrorCode, message: string, details?: Record<string, unknown>, internal?: string) {
    super(code, message);
    this.status = API_ERRORS[code];
    this.details = details;
    this.internal = internal;
  }
}

/** A start-up or configuration problem (printed by the command line, never sent to a client). */
export class ServiceError extends SwitchyardError {
  override name = 'ServiceError';
}

/**
 * The conversation repository's errors (`E_CONVERSATION_*`) as API errors: what a client can act on
 * (a conflict to retry, an id that is not valid, a record this version cannot write). Anything else
 * stays internal.
 */
export function fromLibraryError(error: unknown): ApiError | null {
  const code = (error as { code?: unknown })?.code;
  const message = (error as Error)?.message ?? '';
  switch (code) {
    case 'E_CONVERSATION_NOT_FOUND':
      return new ApiError('E_CONVERSATION_NOT_FOUND', message);
    case 'E_CONVERSATION_INVALID':
      return new ApiError('E_BAD_REQUEST', message);
    case 'E_CONVERSATION_CONFLICT':
      return new ApiError('E_CONFLICT', `${message}; retry the request`);
    case 'E_CONVERSATION_UNSUPPORTED_VERSION':
    case 'E_CONVERSATION_NUMBER_PRECISION':
      return new ApiError(
        'E_CONVERSATION_UNSUPPORTED',
        `${message}; this service cannot write that record (see switchyard migrate conversations --dry-run)`,
      );
    default:
      return null;
  }
}
