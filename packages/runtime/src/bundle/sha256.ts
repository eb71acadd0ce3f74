import { createHash } from 'node:crypto';

/** Lower-case hex SHA-256 of bytes (the content address of a payload, and of a public key for its keyid). */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** True for a lower-case, 64-character hex SHA-256 digest. */
export function isSha256Hex(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-f]{64}$/.test(value);
}
