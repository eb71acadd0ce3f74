/**
 * The whole verification of a published bundle, as `switchyard verify` and CI run it: read the
 * manifest, verify it, read the payload it names, verify that. I/O at the edges, the decisions in
 * the runtime package's pure verifiers (the same code applications run).
 */

import type { BundleSource } from './bundle-source.ts';
import {
  DEFAULT_MAX_MANIFEST_BYTES,
  DEFAULT_MAX_PAYLOAD_BYTES,
  verifyManifest,
  verifyPayload,
  type BundlePayload,
  type ManifestSigned,
  type TrustedKeys,
} from './runtime-format.ts';

export interface VerifyBundleOptions {
  trustedKeys: TrustedKeys;
  env: string;
  minSerial?: number;
  now?: number;
  maxManifestBytes?: number;
  maxPayloadBytes?: number;
}

export type VerifyBundleResult =
  | { ok: true; checks: string[]; signed: ManifestSigned; signers: string[]; payload: BundlePayload }
  | { ok: false; checks: string[]; code: string; message: string };

/** Reads and verifies manifest then payload. Never throws. */
export async function verifyBundle(source: BundleSource, options: VerifyBundleOptions): Promise<VerifyBundleResult> {
  const checks: string[] = [];
  const maxManifest = options.maxManifestBytes ?? DEFAULT_MAX_MANIFEST_BYTES;
  const maxPayload = options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
  const manifestRead = await source.manifest(maxManifest);
  if (!manifestRead.ok) {
    if (manifestRead.tooLarge)
      return {
        ok: false,
        checks,
        code: 'E_MANIFEST_TOO_LARGE',
        message: `manifest is larger than the limit of ${maxManifest} bytes`,
      };
    return { ok: false, checks, code: 'E_FETCH_MANIFEST', message: `${manifestRead.code}: ${manifestRead.message}` };
  }
  checks.push(`read manifest from ${manifestRead.from}`);
  const manifest = verifyManifest(manifestRead.bytes, {
    trustedKeys: options.trustedKeys,
    env: options.env,
    minSerial: options.minSerial ?? 0,
    now: options.now ?? Date.now(),
    maxBytes: maxManifest,
    maxPayloadBytes: maxPayload,
  });
  checks.push(...manifest.checks);
  if (!manifest.ok) return { ok: false, checks, code: manifest.code, message: manifest.message };
  const { signed } = manifest.value;
  const payloadRead = await source.payload(signed.payload.sha256, maxPayload);
  if (!payloadRead.ok) {
    if (payloadRead.tooLarge)
      return {
        ok: false,
        checks,
        code: 'E_PAYLOAD_TOO_LARGE',
        message: `payload is larger than the limit of ${maxPayload} bytes`,
      };
    return { ok: false, checks, code: 'E_FETCH_PAYLOAD', message: `${payloadRead.code}: ${payloadRead.message}` };
  }
  checks.push(`read payload from ${payloadRead.from}`);
  const payload = verifyPayload(
    payloadRead.bytes,
    { ...signed.payload, env: signed.env, commit: signed.commit },
    { maxBytes: maxPayload },
  );
  checks.push(...payload.checks);
  if (!payload.ok) return { ok: false, checks, code: payload.code, message: payload.message };
  return { ok: true, checks, signed, signers: manifest.value.signers, payload: payload.value };
}
