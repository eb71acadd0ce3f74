/**
 * Payload verification: the bytes fetched from `payload/<sha256>.json` must be exactly the bytes the
 * verified manifest names (length, then SHA-256), and a well-formed payload. Pure, never throws.
 */

import { VerifyCode, type VerifyResult } from './codes.ts';
import { DEFAULT_MAX_PAYLOAD_BYTES, type PayloadRef } from './manifest.ts';
import type { BundlePayload } from './payload.ts';
import { payloadShapeError } from './payload-shape.ts';
import { sha256Hex } from './sha256.ts';
import { parseStrictJsonBytes } from './strict-json.ts';

/** What the verified manifest promises about the payload. `env`/`commit`, when given, must match the payload's. */
export interface ExpectedPayload extends PayloadRef {
  env?: string;
  commit?: string;
}

export interface VerifyPayloadOptions {
  /** Payload size cap in bytes; default 16 MiB. */
  maxBytes?: number;
}

/** Verifies payload bytes against the manifest's promise, then parses and shape-checks them. Never throws. */
export function verifyPayload(
  bytes: Uint8Array,
  expected: ExpectedPayload,
  options: VerifyPayloadOptions = {},
): VerifyResult<BundlePayload> {
  const checks: string[] = [];
  const fail = (code: VerifyCode, message: string): VerifyResult<BundlePayload> => ({
    ok: false,
    code,
    message,
    checks,
  });
  try {
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
    if (bytes.byteLength > maxBytes)
      return fail(VerifyCode.PAYLOAD_TOO_LARGE, `payload is ${bytes.byteLength} bytes, the limit is ${maxBytes}`);
    checks.push(`payload size ${bytes.byteLength} bytes ≤ ${maxBytes}`);
    if (bytes.byteLength !== expected.length) {
      return fail(
        VerifyCode.PAYLOAD_LENGTH_MISMATCH,
        `payload is ${bytes.byteLength} bytes, the manifest says ${expected.length}`,
      );
    }
    checks.push(`payload length ${expected.length} matches the manifest`);
    const actual = sha256Hex(bytes);
    if (actual !== expected.sha256) {
      return fail(
        VerifyCode.PAYLOAD_HASH_MISMATCH,
        `payload sha256 is ${actual}, the manifest says ${expected.sha256}`,
      );
    }
    checks.push(`payload sha256 ${actual} matches the manifest`);
    const parsed = parseStrictJsonBytes(bytes);
    if (!parsed.ok) {
      return parsed.reason === 'duplicate-key'
        ? fail(VerifyCode.PAYLOAD_DUPLICATE_KEY, `payload has a ${parsed.message}`)
        : fail(VerifyCode.PAYLOAD_NOT_JSON, `payload is not JSON: ${parsed.message}`);
    }
    checks.push('payload is strict JSON');
    const shapeError = payloadShapeError(parsed.value);
    if (shapeError) return fail(VerifyCode.PAYLOAD_SHAPE, `payload shape: ${shapeError}`);
    const payload = parsed.value as unknown as BundlePayload;
    checks.push(`payload format ${payload.format}, shape ok`);
    if (expected.env !== undefined && payload.env !== expected.env) {
      return fail(
        VerifyCode.PAYLOAD_MISMATCH,
        `payload is for env "${payload.env}", the manifest says "${expected.env}"`,
      );
    }
    if (expected.commit !== undefined && payload.commit !== expected.commit) {
      return fail(
        VerifyCode.PAYLOAD_MISMATCH,
        `payload was compiled from ${payload.commit}, the manifest says ${expected.commit}`,
      );
    }
    if (expected.env !== undefined || expected.commit !== undefined)
      checks.push('payload env and commit match the manifest');
    return { ok: true, value: payload, checks };
  } catch (error) {
    return fail(VerifyCode.PAYLOAD_SHAPE, `payload could not be verified: ${(error as Error).message}`);
  }
}
