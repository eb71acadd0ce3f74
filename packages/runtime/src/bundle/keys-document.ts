/**
 * The keys document (`keys.json`, published next to the environments): which keys may sign bundles,
 * signed by the root keys an application pins. It is TUF's root → targets delegation kept small:
 * the root (offline) names the online bundle-signing keys and their threshold, so rotating or
 * revoking a CI key is a new keys document, not a redeploy of every application.
 *
 * ```json
 * { "signed": { "type": "switchyard-keys", "version": 3, "expires": "2027-…Z",
 *               "threshold": 1, "keys": [ { "keyid": "…", "publicKey": "<base64 SPKI>", "label": "ci-2026" } ],
 *               "floorResets": [ { "env": "production", "floor": 812, "ceiling": 100000, "version": 3 } ] },
 *   "signatures": [ { "keyid": "<root keyid>", "alg": "ed25519", "sig": "…" } ] }
 * ```
 *
 * - `version` only grows: a client refuses a lower one (rollback of the key set, e.g. replaying
 *   the document from before a revocation) and accepts an equal one only byte-identical.
 * - `floorResets` is the recovery from a fast-forward serial: for `env`, a client whose floor is
 *   above `floor` lowers it to `floor`, once (per reset `version`, remembered across restarts), and
 *   while the reset is listed refuses serials above `ceiling` (so the runaway bundle cannot be
 *   replayed). Only the root can issue one.
 *
 * Signature: Ed25519 over `"switchyard-keys-v1\n" + JCS(signed)` (its own domain: a keys signature can
 * never pass as a bundle signature, nor the reverse). Pure, never throws.
 */
import { canonicalize, type JsonValue } from './canonical-json.ts';
import { VerifyCode, type VerifyResult } from './codes.ts';
import { MAX_SERIAL } from './manifest.ts';
import { verifySignatures } from './signatures.ts';
import { parseStrictJsonBytes } from './strict-json.ts';
import { parseTrustedKeys, type TrustedKeys } from './trusted-keys.ts';

export const KEYS_TYPE = 'switchyard-keys';
export const KEYS_SIGNING_DOMAIN = 'switchyard-keys-v1\n';
/** Keys documents are small; anything bigger is refused before parsing. */
export const DEFAULT_MAX_KEYS_BYTES = 64 * 1024;

export interface FloorReset {
  env: string;
  /** The floor a client lowers to (when its own is higher). */
  floor: number;
  /** Serials above this are refused while the reset is listed; null: no ceiling. */
  ceiling: number | null;
  /** The keys-document version that issued the reset (a client applies each reset once). */
  version: number;
}

export interface KeysSigned {
  type: typeof KEYS_TYPE;
  version: number;
  expires: string;
  threshold: number;
  keys: Array<{ keyid: string; publicKey: string; label?: string }>;
  floorResets: FloorReset[];
}

export interface VerifiedKeys {
  signed: KeysSigned;
  /** The bundle-signing keys and threshold this document names. */
  bundleKeys: TrustedKeys;
  /** Root keys whose signatures verified. */
  signers: string[];
  expired: boolean;
}

export interface VerifyKeysOptions {
  /** The root keys the application pins, and how many must have signed. */
  root: TrustedKeys;
  /** Lowest acceptable version, inclusive (the version already trusted). Default 0. */
  minVersion?: number;
  now?: number;
  /** Accept an expired document (cold start from cache); reported as `expired`. */
  allowExpired?: boolean;
  maxBytes?: number;
}

/** The exact bytes a root signature covers. */
export function keysSigningMessage(signed: KeysSigned | Record<string, unknown>): Uint8Array {
  return new TextEncoder().encode(KEYS_SIGNING_DOMAIN + canonicalize(signed as JsonValue));
}

const ENV_NAME = /^[a-z0-9][a-z0-9_-]*$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/;
const isObject = (v: JsonValue | undefined): v is { [k: string]: JsonValue } =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: JsonValue | undefined, max = MAX_SERIAL): v is number =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= max;

function resetError(r: JsonValue, i: number, version: number): string | undefined {
  if (!isObject(r)) return `floorResets[${i}] must be an object`;
  const extra = Object.keys(r).find((k) => !['env', 'floor', 'ceiling', 'version'].includes(k));
  if (extra !== undefined) return `floorResets[${i}] has an unknown member "${extra}"`;
  if (typeof r.env !== 'string' || !ENV_NAME.test(r.env)) return `floorResets[${i}].env must be an environment name`;
  if (!isCount(r.floor)) return `floorResets[${i}].floor must be an integer 0..${MAX_SERIAL}`;
  if (r.ceiling !== null && (!isCount(r.ceiling) || r.ceiling <= r.floor))
    return `floorResets[${i}].ceiling must be null or an integer above floor`;
  if (!isCount(r.version) || r.version < 1 || r.version > version)
    return `floorResets[${i}].version must be 1..${version} (the document version that issued it)`;
  return undefined;
}

/** Verifies a keys document against the pinned root keys. Never throws. */
export function verifyKeysDocument(bytes: Uint8Array, options: VerifyKeysOptions): VerifyResult<VerifiedKeys> {
  const checks: string[] = [];
  const fail = (code: VerifyCode, message: string): VerifyResult<VerifiedKeys> => ({
    ok: false,
    code,
    message: `keys.json: ${message}`,
    checks,
  });
  try {
    const root = options.root;
    if (
      !root ||
      !(root.keys instanceof Map) ||
      root.keys.size === 0 ||
      root.threshold < 1 ||
      root.threshold > root.keys.size
    ) {
      return fail(VerifyCode.OPTIONS, 'root keys must name at least threshold (≥ 1) keys');
    }
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_KEYS_BYTES;
    if (bytes.byteLength > maxBytes)
      return fail(VerifyCode.KEYS_INVALID, `${bytes.byteLength} bytes, the limit is ${maxBytes}`);
    const parsed = parseStrictJsonBytes(bytes, { maxDepth: 8 });
    if (!parsed.ok) return fail(VerifyCode.KEYS_INVALID, `not JSON: ${parsed.message}`);
    const doc = parsed.value;
    if (!isObject(doc) || Object.keys(doc).some((k) => k !== 'signed' && k !== 'signatures'))
      return fail(VerifyCode.KEYS_INVALID, 'must be {"signed": …, "signatures": […]}');
    const { signed, signatures } = doc;
    if (!Array.isArray(signatures) || signatures.length === 0)
      return fail(VerifyCode.SIGNATURE_MISSING, 'carries no signature');
    if (!isObject(signed)) return fail(VerifyCode.KEYS_INVALID, 'signed must be an object');
    // Nothing the document says is believed before the root's signatures over it verified.
    const sigs = verifySignatures(signatures, keysSigningMessage(signed), root);
    checks.push(...sigs.checks.map((c) => `keys.json ${c}`));
    if (!sigs.ok) return fail(sigs.code, sigs.message);

    const extra = Object.keys(signed).find(
      (k) => !['type', 'version', 'expires', 'threshold', 'keys', 'floorResets'].includes(k),
    );
    if (extra !== undefined) return fail(VerifyCode.KEYS_INVALID, `signed has an unknown member "${extra}"`);
    if (signed.type !== KEYS_TYPE)
      return fail(
        VerifyCode.KEYS_INVALID,
        `signed.type is ${JSON.stringify(signed.type ?? null)}, expected "${KEYS_TYPE}"`,
      );
    const version = signed.version;
    if (!isCount(version) || version < 1)
      return fail(VerifyCode.KEYS_INVALID, `signed.version must be an integer 1..${MAX_SERIAL}`);
    if (
      typeof signed.expires !== 'string' ||
      !TIMESTAMP.test(signed.expires) ||
      !Number.isFinite(Date.parse(signed.expires))
    ) {
      return fail(VerifyCode.KEYS_INVALID, 'signed.expires must be an ISO 8601 UTC timestamp');
    }
    const bundleKeys = parseTrustedKeys(JSON.stringify({ threshold: signed.threshold, keys: signed.keys }));
    if (!bundleKeys.ok) return fail(VerifyCode.KEYS_INVALID, bundleKeys.message);
    const resets = signed.floorResets;
    if (!Array.isArray(resets)) return fail(VerifyCode.KEYS_INVALID, 'signed.floorResets must be an array');
    for (const [i, r] of resets.entries()) {
      const e = resetError(r, i, version);
      if (e) return fail(VerifyCode.KEYS_INVALID, e);
    }
    checks.push(
      `keys.json version ${version}: ${bundleKeys.value.keys.size} bundle key(s), threshold ${bundleKeys.value.threshold}`,
    );

    const minVersion = options.minVersion ?? 0;
    if (version < minVersion)
      return fail(
        VerifyCode.KEYS_ROLLBACK,
        `version ${version} is below the trusted version ${minVersion} (rollback of the key set)`,
      );
    const now = options.now ?? Date.now();
    const expired = now >= Date.parse(signed.expires);
    if (expired && !options.allowExpired) return fail(VerifyCode.KEYS_EXPIRED, `expired at ${signed.expires}`);
    checks.push(
      expired
        ? `keys.json expired at ${signed.expires} (accepted: allowExpired)`
        : `keys.json not expired (expires ${signed.expires})`,
    );
    return {
      ok: true,
      value: { signed: signed as unknown as KeysSigned, bundleKeys: bundleKeys.value, signers: sigs.signers, expired },
      checks,
    };
  } catch (error) {
    return fail(VerifyCode.KEYS_INVALID, `could not be verified: ${(error as Error).message}`);
  }
}

/** The floor reset for `env` with the highest version, if the document lists one. */
export function latestFloorReset(signed: KeysSigned, env: string): FloorReset | null {
  let latest: FloorReset | null = null;
  for (const r of signed.floorResets) if (r.env === env && (latest === null || r.version > latest.version)) latest = r;
  return latest;
}
