/**
 * Stable codes for what can go wrong while fetching, verifying and swapping bundles. Verification
 * codes (`E_SIGNATURE_*`, `E_SERIAL_TOO_LOW`, `E_EXPIRED`, `E_PAYLOAD_*` …) come from
 * `bundle/codes.ts`; these are the client's own. Never rename one, only add.
 */
export const ClientCode = {
  /** No response within the request timeout (connect + headers). */
  FETCH_TIMEOUT: 'E_FETCH_TIMEOUT',
  /** The body did not finish within the request timeout (e.g. a slow-trickling server). */
  FETCH_BODY_TIMEOUT: 'E_FETCH_BODY_TIMEOUT',
  /** Connection refused, reset or DNS failure. */
  FETCH_CONNECTION: 'E_FETCH_CONNECTION',
  /** A status other than 200 (or 304 for the manifest). */
  FETCH_STATUS: 'E_FETCH_STATUS',
  /** Body larger than the cap (by Content-Length or by counting). */
  FETCH_TOO_LARGE: 'E_FETCH_TOO_LARGE',
  /** The server sent a compressed body (Content-Encoding) the client never asked for. */
  FETCH_ENCODING: 'E_FETCH_ENCODING',
  /** The connection closed before the announced body was complete. */
  FETCH_TRUNCATED: 'E_FETCH_TRUNCATED',
  /** A directory source could not be read (missing file, permissions). */
  SOURCE_READ: 'E_SOURCE_READ',
  /** A local file is a FIFO, a device, a directory or (in the cache) a symlink: refused, never read. */
  SOURCE_NOT_FILE: 'E_SOURCE_NOT_FILE',
  /** A local file was not read within the deadline (a hung network file system). */
  SOURCE_TIMEOUT: 'E_SOURCE_TIMEOUT',
  /** The verified payload could not be turned into a decision table. */
  PAYLOAD_INVALID: 'E_PAYLOAD_INVALID',
  /** Same serial as the one being served but a different payload (refused). */
  SERIAL_CONFLICT: 'E_SERIAL_CONFLICT',
  /** The last-known-good cache is missing, unreadable or fails verification. */
  CACHE_INVALID: 'E_CACHE_INVALID',
  /** The last-known-good cache could not be written (serving continues). */
  CACHE_WRITE: 'E_CACHE_WRITE',
  /** The client options are unusable (bad source, trusted keys, env). */
  OPTIONS: 'E_CLIENT_OPTIONS',
} as const;

export type ClientCode = (typeof ClientCode)[keyof typeof ClientCode];

export interface Failure {
  ok: false;
  code: string;
  message: string;
}
