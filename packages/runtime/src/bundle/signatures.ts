/**
 * Threshold signature checking shared by every signed document (bundle manifests, the keys
 * document): which trusted keys' Ed25519 signatures over `message` verify, and whether enough
 * distinct ones did. Signatures by keys the verifier does not trust are ignored (key rotation),
 * never errors; the keys and the threshold come only from the caller.
 */
import { verify as verifySignature } from 'node:crypto';
import type { JsonValue } from './canonical-json.ts';
import { VerifyCode } from './codes.ts';
import { SIGNATURE_ALG } from './manifest.ts';
import type { TrustedKeys } from './trusted-keys.ts';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
/** Base64 length of a 64-byte Ed25519 signature. */
const ED25519_SIG_BASE64_LENGTH = 88;

export type SignaturesResult =
  | { ok: true; signers: string[]; checks: string[] }
  | { ok: false; code: VerifyCode; message: string; checks: string[] };

function isObject(value: JsonValue | undefined): value is { [key: string]: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks `signatures` (already known to be a non-empty array) over `message` against `trusted`. */
export function verifySignatures(signatures: JsonValue[], message: Uint8Array, trusted: TrustedKeys): SignaturesResult {
  const checks: string[] = [];
  const fail = (code: VerifyCode, text: string): SignaturesResult => ({ ok: false, code, message: text, checks });
  const { keys, threshold } = trusted;
  const signers = new Set<string>();
  let firstFailure: { code: VerifyCode; message: string } | undefined;
  for (const [i, entry] of signatures.entries()) {
    if (
      !isObject(entry) ||
      typeof entry.keyid !== 'string' ||
      typeof entry.sig !== 'string' ||
      typeof entry.alg !== 'string'
    ) {
      return fail(VerifyCode.SIGNATURE_MALFORMED, `signatures[${i}] must have string keyid, alg and sig`);
    }
    const key = keys.get(entry.keyid);
    if (!key) continue;
    const label = `signatures[${i}] by trusted key ${entry.keyid.slice(0, 16)}…`;
    let failure: { code: VerifyCode; message: string } | undefined;
    if (entry.alg !== SIGNATURE_ALG) {
      failure = { code: VerifyCode.SIGNATURE_MALFORMED, message: `${label}: unsupported alg "${entry.alg}"` };
    } else if (!BASE64.test(entry.sig)) {
      failure = { code: VerifyCode.SIGNATURE_MALFORMED, message: `${label}: sig is not base64` };
    } else if (entry.sig.length < ED25519_SIG_BASE64_LENGTH) {
      failure = {
        code: VerifyCode.SIGNATURE_TRUNCATED,
        message: `${label}: sig is ${entry.sig.length} base64 characters, an Ed25519 signature has ${ED25519_SIG_BASE64_LENGTH}`,
      };
    } else if (entry.sig.length > ED25519_SIG_BASE64_LENGTH || Buffer.from(entry.sig, 'base64').length !== 64) {
      failure = { code: VerifyCode.SIGNATURE_MALFORMED, message: `${label}: sig is not a 64-byte Ed25519 signature` };
    } else if (!verifySignature(null, message, key, Buffer.from(entry.sig, 'base64'))) {
      failure = {
        code: VerifyCode.SIGNATURE_INVALID,
        message: `${label} does not verify: the signed content was altered or signed by another key`,
      };
    }
    if (failure) {
      firstFailure ??= failure;
      continue;
    }
    signers.add(entry.keyid);
    checks.push(`${label} verifies`);
  }
  if (signers.size < threshold) {
    if (firstFailure) return fail(firstFailure.code, firstFailure.message);
    if (signers.size === 0) {
      return fail(
        VerifyCode.SIGNATURE_UNTRUSTED,
        `no signature is by a trusted key (trusted: ${[...keys.keys()].map((k) => k.slice(0, 16) + '…').join(', ')})`,
      );
    }
    return fail(VerifyCode.SIGNATURE_THRESHOLD, `${signers.size} trusted signature(s), ${threshold} required`);
  }
  checks.push(`${signers.size} of ${threshold} required trusted signature(s)`);
  return { ok: true, signers: [...signers], checks };
}
