/**
 * Building and signing manifests. Signing is the one step that needs a secret, so it is a thin
 * function over node:crypto; everything it signs is computed by pure code beforehand.
 */

import { sign as ed25519Sign } from 'node:crypto';
import {
  MANIFEST_TYPE,
  MAX_SERIAL,
  SIGNATURE_ALG,
  signingMessage,
  type Manifest,
  type ManifestSigned,
  type PayloadRef,
} from './runtime-format.ts';
import type { CompiledBundle } from './compile.ts';
import type { SigningKey } from './keys.ts';

export interface ManifestInput {
  env: string;
  serial: number;
  commit: string;
  /** When the bundle was made (the commit time, for reproducible manifests). */
  createdAt: Date;
  /** When runtimes stop trusting it. */
  expires: Date;
  payload: PayloadRef;
}

/**
 * The signed part of a manifest, with timestamps normalised to ISO 8601 UTC. Throws a RangeError
 * for a serial outside 1..MAX_SERIAL: nothing signs a serial every verifier refuses (callers
 * validate user input first; this is the last guard).
 */
export function buildSigned(input: ManifestInput): ManifestSigned {
  if (!Number.isSafeInteger(input.serial) || input.serial < 1 || input.serial > MAX_SERIAL) {
    throw new RangeError(`serial ${input.serial} is outside 1..${MAX_SERIAL}`);
  }
  return {
    type: MANIFEST_TYPE,
    env: input.env,
    serial: input.serial,
    commit: input.commit,
    createdAt: input.createdAt.toISOString(),
    expires: input.expires.toISOString(),
    payload: { sha256: input.payload.sha256, length: input.payload.length },
  };
}

/**
 * Signs `signed` with every key (key rotation = old and new during the overlap). Signatures already
 * present on `existing` are kept, so a second party can add its signature later; a key that has
 * already signed is not added twice.
 */
export function signManifest(
  signed: ManifestSigned,
  keys: SigningKey[],
  existing: Manifest['signatures'] = [],
): Manifest {
  const message = signingMessage(signed);
  const signatures = [...existing];
  for (const key of keys) {
    if (signatures.some((s) => s.keyid === key.keyid)) continue;
    signatures.push({
      keyid: key.keyid,
      alg: SIGNATURE_ALG,
      sig: ed25519Sign(null, message, key.privateKey).toString('base64'),
    });
  }
  return { signed, signatures };
}

/**
 * The manifest of a freshly compiled payload, signed by `keys`: `expires` = `createdAt` + `validityMs`.
 * What the pipeline's bundle stage and in-process publishers (the chat service's demo mode) do for
 * every environment; `switchyard sign` signs a compiled directory instead (`buildSigned` + `signManifest`).
 */
export function signCompiled(
  compiled: Pick<CompiledBundle, 'sha256' | 'bytes'>,
  meta: { env: string; serial: number; commit: string; createdAt: Date; validityMs: number },
  keys: SigningKey[],
): Manifest {
  const signed = buildSigned({
    env: meta.env,
    serial: meta.serial,
    commit: meta.commit,
    createdAt: meta.createdAt,
    expires: new Date(meta.createdAt.getTime() + meta.validityMs),
    payload: { sha256: compiled.sha256, length: compiled.bytes.byteLength },
  });
  return signManifest(signed, keys);
}
