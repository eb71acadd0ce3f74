/**
 * Manifest verification: the security boundary between "bytes from the network" and "a config the
 * runtime may act on". Pure (no I/O, the clock is passed in) and never throws; every rejection has
 * its own stable code (see codes.ts).
 *
 * Order matters: nothing the manifest says is believed before a trusted signature over it has been
 * checked, and the set of acceptable signers and the threshold come only from the caller.
 */

import type { JsonValue } from './canonical-json.ts';
import { VerifyCode, type VerifyResult } from './codes.ts';
import {
  DEFAULT_MAX_MANIFEST_BYTES,
  MANIFEST_TYPE,
  MAX_SERIAL,
  signingMessage,
  type Manifest,
  type ManifestSigned,
} from './manifest.ts';
import { isSha256Hex } from './sha256.ts';
import { parseStrictJsonBytes } from './strict-json.ts';
import { verifySignatures } from './signatures.ts';
import type { TrustedKeys } from './trusted-keys.ts';

export interface VerifyManifestOptions {
  /** Keys this verifier trusts and how many must have signed. From the verifier's own config. */
  trustedKeys: TrustedKeys;
  /** The environment this verifier serves; a manifest for another environment is refused. */
  env: string;
  /**
   * Lowest acceptable serial, inclusive. The client holding serial N passes N (and at cold start
   * the serial of its last-known-good): anything older is refused here, and an equal serial is
   * accepted only as the same bundle (same payload digest, e.g. re-signed), which the client checks
   * itself. To refuse a replay of N outright, pass N + 1 (`switchyard verify --last-serial N`).
   * Default 0.
   */
  minSerial?: number;
  /** Current time (epoch ms or Date); default `Date.now()`. */
  now?: number | Date;
  /** Manifest size cap in bytes; default 64 KiB. */
  maxBytes?: number;
  /** When set, a payload larger than this announced in the manifest is refused before it is fetched. */
  maxPayloadBytes?: number;
  /**
   * Accept an expired manifest (reported as `expired: true`) instead of refusing it. For a runtime
   * re-verifying its last-known-good at cold start, which keeps serving it marked stale.
   */
  allowExpired?: boolean;
}

export interface VerifiedManifest {
  manifest: Manifest;
  signed: ManifestSigned;
  /** keyids of the trusted keys whose signatures verified. */
  signers: string[];
  /** True only with `allowExpired` when the manifest is past `expires`. */
  expired: boolean;
}

type JsonObject = { [key: string]: JsonValue };

const ENV_NAME = /^[a-z0-9][a-z0-9_-]*$/;
const COMMIT = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/;
const SIGNED_MEMBERS = ['type', 'env', 'serial', 'commit', 'createdAt', 'expires', 'payload'];

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function extraMember(object: JsonObject, allowed: string[]): string | undefined {
  return Object.keys(object).find((key) => !allowed.includes(key));
}

/** Checks the shape of `signed` (after its signature verified). Returns an error message or undefined. */
function signedShapeError(signed: JsonObject): string | undefined {
  const extra = extraMember(signed, SIGNED_MEMBERS);
  if (extra !== undefined) return `signed has an unknown member "${extra}"`;
  const { env, serial, commit, createdAt, expires, payload } = signed;
  if (typeof env !== 'string' || !ENV_NAME.test(env)) return 'signed.env must be an environment name';
  if (typeof serial !== 'number' || !Number.isSafeInteger(serial) || serial < 1)
    return 'signed.serial must be a positive integer';
  if (typeof commit !== 'string' || !COMMIT.test(commit))
    return 'signed.commit must be a full lower-case hex commit id';
  for (const [name, value] of [
    ['createdAt', createdAt],
    ['expires', expires],
  ] as const) {
    if (typeof value !== 'string' || !TIMESTAMP.test(value) || !Number.isFinite(Date.parse(value))) {
      return `signed.${name} must be an ISO 8601 UTC timestamp`;
    }
  }
  if (Date.parse(expires as string) <= Date.parse(createdAt as string))
    return 'signed.expires must be after signed.createdAt';
  if (!isObject(payload)) return 'signed.payload must be an object';
  const payloadExtra = extraMember(payload, ['sha256', 'length']);
  if (payloadExtra !== undefined) return `signed.payload has an unknown member "${payloadExtra}"`;
  if (!isSha256Hex(payload.sha256)) return 'signed.payload.sha256 must be a lower-case hex SHA-256';
  if (typeof payload.length !== 'number' || !Number.isSafeInteger(payload.length) || payload.length < 0) {
    return 'signed.payload.length must be a non-negative integer';
  }
  return undefined;
}

function optionsError(options: VerifyManifestOptions): string | undefined {
  const trusted = options.trustedKeys;
  if (!trusted || !(trusted.keys instanceof Map) || trusted.keys.size === 0) return 'no trusted keys configured';
  if (!Number.isInteger(trusted.threshold) || trusted.threshold < 1) return 'threshold must be an integer ≥ 1';
  if (trusted.threshold > trusted.keys.size)
    return `threshold ${trusted.threshold} exceeds the ${trusted.keys.size} trusted key(s)`;
  if (typeof options.env !== 'string' || options.env === '') return 'env is required';
  return undefined;
}

/**
 * Verifies manifest bytes: size, strict JSON, shape, trusted signatures (threshold from the caller),
 * type, environment, serial and expiry. Never throws.
 */
export function verifyManifest(bytes: Uint8Array, options: VerifyManifestOptions): VerifyResult<VerifiedManifest> {
  const checks: string[] = [];
  const fail = (code: VerifyCode, message: string): VerifyResult<VerifiedManifest> => ({
    ok: false,
    code,
    message,
    checks,
  });
  try {
    const badOptions = optionsError(options);
    if (badOptions) return fail(VerifyCode.OPTIONS, badOptions);

    const maxBytes = options.maxBytes ?? DEFAULT_MAX_MANIFEST_BYTES;
    if (bytes.byteLength > maxBytes) {
      return fail(VerifyCode.MANIFEST_TOO_LARGE, `manifest is ${bytes.byteLength} bytes, the limit is ${maxBytes}`);
    }
    checks.push(`size ${bytes.byteLength} bytes ≤ ${maxBytes}`);

    const parsed = parseStrictJsonBytes(bytes, { maxDepth: 8 });
    if (!parsed.ok) {
      return parsed.reason === 'duplicate-key'
        ? fail(VerifyCode.MANIFEST_DUPLICATE_KEY, `manifest has a ${parsed.message}`)
        : fail(VerifyCode.MANIFEST_NOT_JSON, `manifest is not JSON: ${parsed.message}`);
    }
    checks.push('strict JSON (UTF-8, no duplicate member names)');

    const doc = parsed.value;
    if (!isObject(doc)) return fail(VerifyCode.MANIFEST_SHAPE, 'manifest must be a JSON object');
    // Checked before anything else the manifest says: no claim inside it can waive signatures.
    const signatures = doc.signatures;
    if (signatures === undefined || signatures === null || (Array.isArray(signatures) && signatures.length === 0)) {
      return fail(VerifyCode.SIGNATURE_MISSING, 'manifest carries no signature (signatures are always required)');
    }
    if (!Array.isArray(signatures)) return fail(VerifyCode.MANIFEST_SHAPE, 'signatures must be an array');
    const extra = extraMember(doc, ['signed', 'signatures']);
    if (extra !== undefined) return fail(VerifyCode.MANIFEST_SHAPE, `manifest has an unknown member "${extra}"`);
    const signed = doc.signed;
    if (!isObject(signed)) return fail(VerifyCode.MANIFEST_SHAPE, 'signed must be an object');
    checks.push(`${signatures.length} signature(s) present`);

    const signatureCheck = verifySignatures(signatures, signingMessage(signed), options.trustedKeys);
    checks.push(...signatureCheck.checks);
    if (!signatureCheck.ok) return fail(signatureCheck.code, signatureCheck.message);
    const signers = signatureCheck.signers;

    if (signed.type !== MANIFEST_TYPE) {
      return fail(
        VerifyCode.MANIFEST_TYPE,
        `signed.type is ${JSON.stringify(signed.type ?? null)}, expected "${MANIFEST_TYPE}"`,
      );
    }
    const shapeError = signedShapeError(signed);
    if (shapeError) return fail(VerifyCode.MANIFEST_SHAPE, shapeError);
    const typed = signed as unknown as ManifestSigned;
    checks.push(`type ${MANIFEST_TYPE}, shape ok`);

    // A validly signed absurd serial (a typo, a compromised key) would lock every client with a
    // cache out of all later bundles: refused before it can raise anyone's floor.
    if (typed.serial > MAX_SERIAL) {
      return fail(
        VerifyCode.SERIAL_OUT_OF_RANGE,
        `serial ${typed.serial} is above the maximum ${MAX_SERIAL} (serials count commits; this one cannot be real)`,
      );
    }
    if (typed.env !== options.env)
      return fail(VerifyCode.WRONG_ENV, `manifest is for env "${typed.env}", this verifier serves "${options.env}"`);
    checks.push(`env ${typed.env}`);

    const minSerial = options.minSerial ?? 0;
    if (typed.serial < minSerial) {
      return fail(
        VerifyCode.SERIAL_TOO_LOW,
        `serial ${typed.serial} is below the minimum ${minSerial} (replay or rollback of an older bundle)`,
      );
    }
    checks.push(`serial ${typed.serial} ≥ ${minSerial}`);

    const now =
      options.now === undefined ? Date.now() : typeof options.now === 'number' ? options.now : options.now.getTime();
    const expiresAt = Date.parse(typed.expires);
    const expired = now >= expiresAt;
    if (expired && !options.allowExpired) {
      return fail(VerifyCode.EXPIRED, `manifest expired at ${typed.expires} (now ${new Date(now).toISOString()})`);
    }
    checks.push(
      expired ? `expired at ${typed.expires} (accepted: allowExpired)` : `not expired (expires ${typed.expires})`,
    );

    if (options.maxPayloadBytes !== undefined && typed.payload.length > options.maxPayloadBytes) {
      return fail(
        VerifyCode.PAYLOAD_TOO_LARGE,
        `payload announced as ${typed.payload.length} bytes, the limit is ${options.maxPayloadBytes}`,
      );
    }

    const manifest: Manifest = { signed: typed, signatures: signatures as unknown as Manifest['signatures'] };
    return { ok: true, value: { manifest, signed: typed, signers, expired }, checks };
  } catch (error) {
    // Defensive: a bug here must not take down the caller's hot path.
    return fail(VerifyCode.MANIFEST_SHAPE, `manifest could not be verified: ${(error as Error).message}`);
  }
}
