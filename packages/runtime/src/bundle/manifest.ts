/**
 * The bundle manifest: the small signed document a runtime polls. It names exactly one payload by
 * its SHA-256 and length, so verifying the manifest's signature and then the payload's hash proves
 * the payload came from the signer.
 */

import { canonicalize } from './canonical-json.ts';

/** Value of `signed.type`; a different document type can never be mistaken for a bundle. */
export const MANIFEST_TYPE = 'switchyard-bundle';

/** Domain separation: the signature covers this prefix, so it cannot be replayed as a signature over anything else. */
export const SIGNING_DOMAIN = 'switchyard-bundle-v1\n';

/** The only signature algorithm. */
export const SIGNATURE_ALG = 'ed25519';

/**
 * Largest serial anyone accepts (2^32 − 1). Serials count commits on main, so a real one stays far
 * below; the bound turns a typo or a forged fast-forward (2^53 − 1, 1e308) into a refusal instead of
 * a floor no later bundle can pass. Recovery from a fast-forward inside the bound: docs/bundles.md.
 */
export const MAX_SERIAL = 4_294_967_295;

/** Default size caps (bytes) for untrusted input. */
export const DEFAULT_MAX_MANIFEST_BYTES = 64 * 1024;
export const DEFAULT_MAX_PAYLOAD_BYTES = 16 * 1024 * 1024;

/** What a manifest says about its payload. */
export interface PayloadRef {
  /** Lower-case hex SHA-256 of the payload bytes (also its file name: `payload/<sha256>.json`). */
  sha256: string;
  /** Payload size in bytes. */
  length: number;
}

/** The signed part of a manifest. */
export interface ManifestSigned {
  type: typeof MANIFEST_TYPE;
  /** Environment name; a runtime configured for another environment refuses the manifest. */
  env: string;
  /** Strictly increasing per environment (see docs/bundles.md for how it is derived). */
  serial: number;
  /** Git commit the payload was compiled from. */
  commit: string;
  /** ISO 8601 UTC timestamp (the commit time, so manifests are reproducible). */
  createdAt: string;
  /** ISO 8601 UTC timestamp after which runtimes stop trusting the manifest. */
  expires: string;
  payload: PayloadRef;
}

export interface ManifestSignature {
  /** Lower-case hex SHA-256 of the signer's public key in SPKI DER form. */
  keyid: string;
  alg: typeof SIGNATURE_ALG;
  /** Base64 (standard alphabet, padded) Ed25519 signature of `signingMessage(signed)`. */
  sig: string;
}

export interface Manifest {
  signed: ManifestSigned;
  signatures: ManifestSignature[];
}

/** The exact bytes a signature covers: `"switchyard-bundle-v1\n" + JCS(signed)` in UTF-8. */
export function signingMessage(signed: ManifestSigned | Record<string, unknown>): Uint8Array {
  return new TextEncoder().encode(SIGNING_DOMAIN + canonicalize(signed));
}

/** Serialises a manifest as canonical JSON bytes (what `publish` writes as `manifest.json`). */
export function manifestBytes(manifest: Manifest): Uint8Array {
  return new TextEncoder().encode(canonicalize(manifest));
}
