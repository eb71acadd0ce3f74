/**
 * Issuing keys documents (`keys.json`, see packages/runtime/src/bundle/keys-document.ts): the root's
 * side of the trust model. Every operation takes the current document (or none), returns the next
 * one with `version + 1`, and is signed by the root key(s). Pure apart from the signature.
 */
import { sign as ed25519Sign } from 'node:crypto';
import type { SigningKey } from './keys.ts';
import { trustedKeyEntry } from './keys.ts';
import {
  canonicalBytes,
  KEYS_TYPE,
  keysSigningMessage,
  MAX_SERIAL,
  SIGNATURE_ALG,
  type FloorReset,
  type JsonValue,
  type KeysSigned,
  type TrustedKeys,
} from './runtime-format.ts';

export type TrustOperation =
  | { kind: 'init'; signingKeys: TrustedKeys; labels?: Map<string, string> }
  | { kind: 'rotate'; signingKeys: TrustedKeys; labels?: Map<string, string> }
  | { kind: 'revoke'; keyid: string }
  | { kind: 'reset-floor'; env: string; floor: number; ceiling: number | null };

export type TrustResult =
  { ok: true; signed: KeysSigned; bytes: Uint8Array } | { ok: false; code: 'E_TRUST_OPERATION'; message: string };

function entries(keys: TrustedKeys, labels?: Map<string, string>): KeysSigned['keys'] {
  return [...keys.keys.entries()]
    .map(([keyid, key]) => trustedKeyEntry(key, labels?.get(keyid)))
    .sort((a, b) => a.keyid.localeCompare(b.keyid));
}

/**
 * The next keys document. `previous` is the current one (already verified by the caller against the
 * root), null only for `init`. `expires` is absolute.
 */
export function nextKeysDocument(
  previous: KeysSigned | null,
  op: TrustOperation,
  expires: Date,
  rootKeys: SigningKey[],
): TrustResult {
  const bad = (message: string): TrustResult => ({ ok: false, code: 'E_TRUST_OPERATION', message });
  if (rootKeys.length === 0) return bad('at least one root key is needed to sign');
  if ((op.kind === 'init') !== (previous === null))
    return bad(
      op.kind === 'init'
        ? 'a keys document already exists: use rotate, revoke or reset-floor'
        : 'no keys document yet: start with init',
    );
  const version = (previous?.version ?? 0) + 1;
  if (version > MAX_SERIAL) return bad('version limit reached');
  let keys = previous?.keys ?? [];
  let threshold = previous?.threshold ?? 1;
  const floorResets: FloorReset[] = [...(previous?.floorResets ?? [])];
  switch (op.kind) {
    case 'init':
    case 'rotate':
      keys = entries(op.signingKeys, op.labels);
      threshold = op.signingKeys.threshold;
      break;
    case 'revoke': {
      if (!keys.some((k) => k.keyid === op.keyid)) return bad(`key ${op.keyid} is not in the keys document`);
      keys = keys.filter((k) => k.keyid !== op.keyid);
      if (keys.length === 0)
        return bad('revoking the last signing key would leave nothing able to sign: rotate to a new key first');
      if (threshold > keys.length)
        return bad(
          `threshold ${threshold} would exceed the ${keys.length} remaining key(s): rotate with a lower threshold first`,
        );
      break;
    }
    case 'reset-floor': {
      if (op.ceiling !== null && op.ceiling <= op.floor) return bad('the ceiling must be above the floor');
      // One reset per environment is in force: the newest replaces older ones.
      const kept = floorResets.filter((r) => r.env !== op.env);
      kept.push({ env: op.env, floor: op.floor, ceiling: op.ceiling, version });
      floorResets.splice(0, floorResets.length, ...kept);
      break;
    }
  }
  const signed: KeysSigned = { type: KEYS_TYPE, version, expires: expires.toISOString(), threshold, keys, floorResets };
  const message = keysSigningMessage(signed);
  const signatures = rootKeys.map((k) => ({
    keyid: k.keyid,
    alg: SIGNATURE_ALG,
    sig: ed25519Sign(null, message, k.privateKey).toString('base64'),
  }));
  return { ok: true, signed, bytes: canonicalBytes({ signed, signatures } as unknown as JsonValue) };
}
