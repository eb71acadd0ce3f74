/**
 * Trusted keys: the public keys a runtime (or `switchyard verify`) accepts signatures from, and how
 * many distinct ones must have signed. They always come from the verifier's own configuration,
 * never from the bundle.
 *
 * File format (JSON, see docs/bundles.md):
 * ```json
 * { "threshold": 1,
 *   "keys": [ { "keyid": "<hex sha256 of SPKI DER>", "publicKey": "<base64 SPKI DER or PEM>", "label": "ci-2025" } ] }
 * ```
 * `keyid` is optional; when present it must match the key (catches copy-paste mistakes).
 */

import { createPublicKey, type KeyObject } from 'node:crypto';
import { VerifyCode } from './codes.ts';
import { sha256Hex } from './sha256.ts';
import { parseStrictJson } from './strict-json.ts';

export interface TrustedKeys {
  /** keyid → Ed25519 public key. */
  keys: ReadonlyMap<string, KeyObject>;
  /** Distinct trusted keys that must have signed (≥ 1). */
  threshold: number;
}

export type TrustedKeysResult =
  { ok: true; value: TrustedKeys } | { ok: false; code: typeof VerifyCode.TRUSTED_KEYS_INVALID; message: string };

/** keyid of a public key: lower-case hex SHA-256 of its SPKI DER encoding. */
export function keyIdOf(publicKey: KeyObject): string {
  return sha256Hex(publicKey.export({ type: 'spki', format: 'der' }));
}

/** Base64 of the SPKI DER encoding: the compact form of a public key used in trusted-keys files. */
export function publicKeyToBase64(publicKey: KeyObject): string {
  return publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
}

/**
 * Parses a public key given as PEM (`-----BEGIN PUBLIC KEY-----`) or base64 SPKI DER and checks it
 * is Ed25519. Returns an error message instead of throwing.
 */
export function parsePublicKey(text: string): { ok: true; key: KeyObject } | { ok: false; message: string } {
  try {
    const trimmed = text.trim();
    // createPublicKey would happily derive the public half of a private key: a secret pasted into
    // a file meant to be public (and committed) must be refused loudly, never used.
    if (/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(trimmed)) {
      return {
        ok: false,
        message:
          'this is a PRIVATE key: trusted-keys files hold public keys only (remove it, and treat the key as leaked if the file was shared)',
      };
    }
    const key = trimmed.startsWith('-----BEGIN')
      ? createPublicKey({ key: trimmed, format: 'pem' })
      : /^[A-Za-z0-9+/]+={0,2}$/.test(trimmed)
        ? createPublicKey({ key: Buffer.from(trimmed, 'base64'), format: 'der', type: 'spki' })
        : undefined;
    if (!key) return { ok: false, message: 'public key is neither PEM nor base64 SPKI DER' };
    if (key.asymmetricKeyType !== 'ed25519') {
      return { ok: false, message: `public key is ${key.asymmetricKeyType ?? 'unknown'}, not ed25519` };
    }
    return { ok: true, key };
  } catch (error) {
    return { ok: false, message: `public key cannot be read: ${(error as Error).message}` };
  }
}

/** Builds trusted keys from public keys in memory (threshold defaults to 1). */
export function trustedKeysFrom(publicKeys: KeyObject[], threshold = 1): TrustedKeys {
  return { keys: new Map(publicKeys.map((key) => [keyIdOf(key), key])), threshold };
}

function invalid(message: string): TrustedKeysResult {
  return { ok: false, code: VerifyCode.TRUSTED_KEYS_INVALID, message };
}

/** Parses a trusted-keys document (see the module comment). Never throws. */
export function parseTrustedKeys(text: string): TrustedKeysResult {
  const parsed = parseStrictJson(text);
  if (!parsed.ok) return invalid(`trusted keys are not valid JSON: ${parsed.message}`);
  const doc = parsed.value;
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    return invalid('trusted keys must be a JSON object');
  for (const member of Object.keys(doc)) {
    if (member !== 'threshold' && member !== 'keys')
      return invalid(`unknown member "${member}" (allowed: threshold, keys)`);
  }
  const threshold = doc.threshold ?? 1;
  if (typeof threshold !== 'number' || !Number.isInteger(threshold) || threshold < 1) {
    return invalid('"threshold" must be an integer ≥ 1');
  }
  if (!Array.isArray(doc.keys) || doc.keys.length === 0) return invalid('"keys" must be a non-empty array');
  const keys = new Map<string, KeyObject>();
  for (const [i, entry] of doc.keys.entries()) {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
      return invalid(`keys[${i}] must be an object`);
    for (const member of Object.keys(entry)) {
      if (member !== 'keyid' && member !== 'publicKey' && member !== 'label') {
        return invalid(`keys[${i}]: unknown member "${member}" (allowed: keyid, publicKey, label)`);
      }
    }
    if (typeof entry.publicKey !== 'string') return invalid(`keys[${i}].publicKey must be a string`);
    const key = parsePublicKey(entry.publicKey);
    if (!key.ok) return invalid(`keys[${i}]: ${key.message}`);
    const keyid = keyIdOf(key.key);
    if (entry.keyid !== undefined && entry.keyid !== keyid) {
      return invalid(`keys[${i}].keyid ${String(entry.keyid)} does not match its public key (keyid ${keyid})`);
    }
    if (keys.has(keyid)) return invalid(`keys[${i}] repeats key ${keyid}`);
    keys.set(keyid, key.key);
  }
  if (threshold > keys.size) return invalid(`threshold ${threshold} exceeds the ${keys.size} trusted key(s)`);
  return { ok: true, value: { keys, threshold } };
}
