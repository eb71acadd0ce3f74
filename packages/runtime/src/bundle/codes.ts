/**
 * Stable error codes of bundle verification. Each tamper case has its own code so that operators
 * (and tests) can tell a forged signature from a replay, an expiry or a corrupted download.
 * Codes are part of the public API: never rename one, only add.
 */
export const VerifyCode = {
  /** Verification options are unusable (no trusted keys, threshold above the number of keys...). */
  OPTIONS: 'E_VERIFY_OPTIONS',
  /** Manifest bytes exceed `maxBytes`. */
  MANIFEST_TOO_LARGE: 'E_MANIFEST_TOO_LARGE',
  /** Manifest is not UTF-8 JSON. */
  MANIFEST_NOT_JSON: 'E_MANIFEST_NOT_JSON',
  /** Manifest has an object with two members of the same name. */
  MANIFEST_DUPLICATE_KEY: 'E_MANIFEST_DUPLICATE_KEY',
  /** Manifest JSON does not have the manifest shape (missing/extra/mistyped members). */
  MANIFEST_SHAPE: 'E_MANIFEST_SHAPE',
  /** `signed.type` is not `switchyard-bundle`. */
  MANIFEST_TYPE: 'E_MANIFEST_TYPE',
  /** No signatures at all (whatever the manifest claims about needing none). */
  SIGNATURE_MISSING: 'E_SIGNATURE_MISSING',
  /** A signature entry by a trusted key is malformed (bad base64, unsupported alg, bad keyid). */
  SIGNATURE_MALFORMED: 'E_SIGNATURE_MALFORMED',
  /** A signature by a trusted key is shorter than an Ed25519 signature. */
  SIGNATURE_TRUNCATED: 'E_SIGNATURE_TRUNCATED',
  /** No signature is by a key the caller trusts. */
  SIGNATURE_UNTRUSTED: 'E_SIGNATURE_UNTRUSTED',
  /** A trusted key's signature does not verify: the signed content was altered. */
  SIGNATURE_INVALID: 'E_SIGNATURE_INVALID',
  /** Fewer distinct trusted keys signed than the caller's threshold. */
  SIGNATURE_THRESHOLD: 'E_SIGNATURE_THRESHOLD',
  /** `signed.env` is not the caller's environment. */
  WRONG_ENV: 'E_WRONG_ENV',
  /** `signed.serial` is below the caller's minimum (a replay or rollback attack). */
  SERIAL_TOO_LOW: 'E_SERIAL_TOO_LOW',
  /** `signed.serial` is above MAX_SERIAL (a typo or a fast-forward attempt). */
  SERIAL_OUT_OF_RANGE: 'E_SERIAL_OUT_OF_RANGE',
  /** `signed.serial` is above the ceiling a root-signed floor reset set for this environment. */
  SERIAL_ABOVE_CEILING: 'E_SERIAL_ABOVE_CEILING',
  /** The keys document is not a root-signed `switchyard-keys` document of the documented shape. */
  KEYS_INVALID: 'E_KEYS_INVALID',
  /** The keys document's version is below the one already trusted (a rollback of the key set). */
  KEYS_ROLLBACK: 'E_KEYS_ROLLBACK',
  /** The keys document has expired. */
  KEYS_EXPIRED: 'E_KEYS_EXPIRED',
  /** `signed.expires` is not after `now`. */
  EXPIRED: 'E_EXPIRED',
  /** Payload (or the length the manifest announces) exceeds `maxBytes`. */
  PAYLOAD_TOO_LARGE: 'E_PAYLOAD_TOO_LARGE',
  /** Payload length differs from the manifest. */
  PAYLOAD_LENGTH_MISMATCH: 'E_PAYLOAD_LENGTH_MISMATCH',
  /** Payload SHA-256 differs from the manifest. */
  PAYLOAD_HASH_MISMATCH: 'E_PAYLOAD_HASH_MISMATCH',
  /** Payload is not UTF-8 JSON. */
  PAYLOAD_NOT_JSON: 'E_PAYLOAD_NOT_JSON',
  /** Payload has an object with two members of the same name. */
  PAYLOAD_DUPLICATE_KEY: 'E_PAYLOAD_DUPLICATE_KEY',
  /** Payload JSON does not have the payload shape, or an unsupported `format`. */
  PAYLOAD_SHAPE: 'E_PAYLOAD_SHAPE',
  /** Payload `env` or `commit` differs from the manifest's. */
  PAYLOAD_MISMATCH: 'E_PAYLOAD_MISMATCH',
  /** Trusted-keys document is unusable. */
  TRUSTED_KEYS_INVALID: 'E_TRUSTED_KEYS_INVALID',
} as const;

export type VerifyCode = (typeof VerifyCode)[keyof typeof VerifyCode];

/** The result of every verification step: never thrown, always returned. */
export type VerifyResult<T> =
  { ok: true; value: T; checks: string[] } | { ok: false; code: VerifyCode; message: string; checks: string[] };
