/**
 * Signing keys at the edge: generating, loading and describing Ed25519 keys. Private keys come from
 * a file or from the `SWITCHYARD_SIGNING_KEY` environment variable (what CI uses) and are never
 * logged, printed or written into a bundle.
 */

import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { keyIdOf, publicKeyToBase64 } from './runtime-format.ts';

/** Environment variable holding a private key (PKCS#8 PEM, or base64 PKCS#8 DER) for CI. */
export const SIGNING_KEY_ENV = 'SWITCHYARD_SIGNING_KEY';

export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  keyid: string;
}

export type KeyResult = { ok: true; value: SigningKey } | { ok: false; code: 'E_SIGNING_KEY_INVALID'; message: string };

/** A fresh Ed25519 key pair. */
export function generateSigningKey(): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKey, publicKey, keyid: keyIdOf(publicKey) };
}

/** PKCS#8 PEM of a private key: the file `keygen` writes with mode 0600. */
export function privateKeyToPem(key: SigningKey): string {
  return key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/**
 * Reads a private key from PEM or base64 PKCS#8 DER text. The error message never contains the key
 * material, only what kind of problem there was.
 */
export function parseSigningKey(text: string): KeyResult {
  const trimmed = text.trim();
  try {
    const privateKey = trimmed.startsWith('-----BEGIN')
      ? createPrivateKey({ key: trimmed, format: 'pem' })
      : /^[A-Za-z0-9+/\s]+={0,2}$/.test(trimmed)
        ? createPrivateKey({ key: Buffer.from(trimmed, 'base64'), format: 'der', type: 'pkcs8' })
        : undefined;
    if (!privateKey)
      return { ok: false, code: 'E_SIGNING_KEY_INVALID', message: 'signing key is neither PEM nor base64 PKCS#8 DER' };
    if (privateKey.asymmetricKeyType !== 'ed25519') {
      return {
        ok: false,
        code: 'E_SIGNING_KEY_INVALID',
        message: `signing key is ${privateKey.asymmetricKeyType ?? 'unknown'}, not ed25519`,
      };
    }
    const publicKey = createPublicKey(privateKey);
    return { ok: true, value: { privateKey, publicKey, keyid: keyIdOf(publicKey) } };
  } catch {
    // Deliberately no detail from the crypto error: it must never echo key material.
    return {
      ok: false,
      code: 'E_SIGNING_KEY_INVALID',
      message: 'signing key cannot be read (expected an Ed25519 PKCS#8 private key)',
    };
  }
}

/** One entry of a trusted-keys file for a key (public half only). */
export function trustedKeyEntry(
  publicKey: KeyObject,
  label?: string,
): { keyid: string; publicKey: string; label?: string } {
  const entry: { keyid: string; publicKey: string; label?: string } = {
    keyid: keyIdOf(publicKey),
    publicKey: publicKeyToBase64(publicKey),
  };
  if (label !== undefined) entry.label = label;
  return entry;
}

/** A trusted-keys document (JSON text) for the given public keys. */
export function trustedKeysDocument(publicKeys: Array<{ key: KeyObject; label?: string }>, threshold = 1): string {
  return `${JSON.stringify({ threshold, keys: publicKeys.map((k) => trustedKeyEntry(k.key, k.label)) }, null, 2)}\n`;
}

/**
 * Loads signing keys from files and/or the `SWITCHYARD_SIGNING_KEY` variable. Messages name the
 * source (file path or variable name), never the content.
 */
export async function loadSigningKeys(
  files: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ ok: true; keys: SigningKey[] } | { ok: false; message: string }> {
  const keys: SigningKey[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      return {
        ok: false,
        message: `cannot read signing key ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
      };
    }
    const key = parseSigningKey(text);
    if (!key.ok) return { ok: false, message: `${file}: ${key.message}` };
    keys.push(key.value);
  }
  const fromEnv = env[SIGNING_KEY_ENV];
  if (fromEnv !== undefined && fromEnv.trim() !== '') {
    const key = parseSigningKey(fromEnv);
    if (!key.ok) return { ok: false, message: `${SIGNING_KEY_ENV}: ${key.message}` };
    keys.push(key.value);
  }
  return { ok: true, keys };
}
