/**
 * Publishing to a directory target: `<target>/<env>/payload/<sha256>.json` first, then
 * `<target>/<env>/manifest.json`, each written atomically. Old payloads are kept, so a runtime that
 * fetched the previous manifest can still fetch its payload. A manifest never replaces one with an
 * equal or higher serial (re-publishing the identical manifest is a no-op, so CI retries are safe).
 * The checks and the serial rule (`planPublish`, `decideManifest`) are shared with publish-s3.ts.
 */

import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-write.ts';
import { MAX_SERIAL, parseStrictJsonBytes, sha256Hex, type JsonValue } from './runtime-format.ts';

export type PublishCode =
  | 'E_PUBLISH_BAD_MANIFEST'
  | 'E_PUBLISH_CONFLICT'
  | 'E_PUBLISH_PAYLOAD_MISMATCH'
  | 'E_PUBLISH_S3_CONFIG'
  | 'E_PUBLISH_S3_CREDENTIALS'
  | 'E_PUBLISH_SERIAL_NOT_HIGHER'
  | 'E_PUBLISH_TARGET_UNREADABLE'
  | 'E_PUBLISH_WRITE_FAILED';

export type PublishResult =
  | {
      ok: true;
      env: string;
      serial: number;
      manifestPath: string;
      payloadPath: string;
      previousSerial: number | null;
      unchanged: boolean;
    }
  | { ok: false; code: PublishCode; message: string };

function field(doc: JsonValue, ...path: string[]): JsonValue | undefined {
  let value: JsonValue | undefined = doc;
  for (const key of path) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    value = value[key];
  }
  return value;
}

function validSerial(serial: JsonValue | undefined): serial is number {
  return typeof serial === 'number' && Number.isSafeInteger(serial) && serial >= 1 && serial <= MAX_SERIAL;
}

/**
 * The serial of the manifest already at a target (`null` bytes: there is none). An unreadable manifest
 * is not overwritten blindly: it may be someone else's.
 */
export function serialAt(where: string, bytes: Uint8Array | null): { serial: number | null } | { error: string } {
  if (bytes === null) return { serial: null };
  const parsed = parseStrictJsonBytes(bytes);
  const serial = parsed.ok ? field(parsed.value, 'signed', 'serial') : undefined;
  if (!validSerial(serial))
    return {
      error: `the manifest already at ${where} is unreadable or has a serial outside 1..${MAX_SERIAL}; remove it deliberately to replace it`,
    };
  return { serial };
}

/** What a publisher is about to write, once the manifest and payload have been checked. */
export interface PublishPlan {
  env: string;
  serial: number;
  sha256: string;
}

/** Checks that the manifest is well formed, has a sane serial, and names exactly this payload. */
export function planPublish(
  manifestBytes: Uint8Array,
  payloadBytes: Uint8Array,
): { ok: true; plan: PublishPlan } | { ok: false; code: PublishCode; message: string } {
  const parsed = parseStrictJsonBytes(manifestBytes);
  if (!parsed.ok)
    return { ok: false, code: 'E_PUBLISH_BAD_MANIFEST', message: `manifest is not JSON: ${parsed.message}` };
  const env = field(parsed.value, 'signed', 'env');
  const serial = field(parsed.value, 'signed', 'serial');
  const sha256 = field(parsed.value, 'signed', 'payload', 'sha256');
  const length = field(parsed.value, 'signed', 'payload', 'length');
  if (
    typeof env !== 'string' ||
    !/^[a-z0-9][a-z0-9_-]*$/.test(env) ||
    typeof sha256 !== 'string' ||
    !/^[0-9a-f]{64}$/.test(sha256)
  ) {
    return { ok: false, code: 'E_PUBLISH_BAD_MANIFEST', message: 'manifest lacks signed.env or signed.payload.sha256' };
  }
  // Checked with or without signature verification: one absurd serial would refuse every later publish.
  if (!validSerial(serial)) {
    return {
      ok: false,
      code: 'E_PUBLISH_BAD_MANIFEST',
      message: `signed.serial must be an integer from 1 to ${MAX_SERIAL}, got ${JSON.stringify(serial ?? null)}`,
    };
  }
  if (sha256Hex(payloadBytes) !== sha256 || payloadBytes.byteLength !== length) {
    return {
      ok: false,
      code: 'E_PUBLISH_PAYLOAD_MISMATCH',
      message: `the payload is not the one the manifest names (${sha256})`,
    };
  }
  return { ok: true, plan: { env, serial, sha256 } };
}

/**
 * The serial rule every publisher shares, decided from the manifest bytes already at the target:
 * the identical manifest is a no-op (safe CI retries); otherwise the serial must strictly rise.
 */
export function decideManifest(
  where: string,
  current: Uint8Array | null,
  manifestBytes: Uint8Array,
  serial: number,
  options: { allowLowerSerial?: boolean } = {},
): { ok: true; unchanged: boolean; previousSerial: number | null } | { ok: false; code: PublishCode; message: string } {
  const at = serialAt(where, current);
  if ('error' in at) return { ok: false, code: 'E_PUBLISH_TARGET_UNREADABLE', message: at.error };
  if (current && Buffer.from(current).equals(Buffer.from(manifestBytes)))
    return { ok: true, unchanged: true, previousSerial: at.serial };
  // allowLowerSerial: the recovery ceremony after a fast-forward serial (docs/bundles.md), once a
  // root-signed floor reset is published; never part of the normal path.
  if (at.serial !== null && serial <= at.serial && !(options.allowLowerSerial && serial !== at.serial)) {
    return {
      ok: false,
      code: 'E_PUBLISH_SERIAL_NOT_HIGHER',
      message: `${where} already has serial ${at.serial}; refusing to publish serial ${serial} (serials must strictly increase — publish from a newer commit on main)`,
    };
  }
  return { ok: true, unchanged: false, previousSerial: at.serial };
}

/**
 * Publishes a signed manifest and its payload for one environment into a directory target.
 * The manifest is checked to name this payload; signatures are checked by the caller (`verify`).
 */
export async function publishToDirectory(
  target: string,
  manifestBytes: Uint8Array,
  payloadBytes: Uint8Array,
  options: { allowLowerSerial?: boolean } = {},
): Promise<PublishResult> {
  const planned = planPublish(manifestBytes, payloadBytes);
  if (!planned.ok) return planned;
  const { env, serial, sha256 } = planned.plan;
  const envDir = join(target, env);
  const manifestPath = join(envDir, 'manifest.json');
  const payloadPath = join(envDir, 'payload', `${sha256}.json`);
  let current: Uint8Array | null;
  try {
    current = await readFile(manifestPath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      return {
        ok: false,
        code: 'E_PUBLISH_TARGET_UNREADABLE',
        message: `cannot read ${manifestPath}: ${(error as Error).message}`,
      };
    }
    current = null;
  }
  const decided = decideManifest(manifestPath, current, manifestBytes, serial, options);
  if (!decided.ok) return decided;
  if (decided.unchanged)
    return {
      ok: true,
      env,
      serial,
      manifestPath,
      payloadPath,
      previousSerial: decided.previousSerial,
      unchanged: true,
    };
  try {
    await mkdir(join(envDir, 'payload'), { recursive: true });
    let existing: Uint8Array | undefined;
    try {
      existing = await readFile(payloadPath);
    } catch {
      existing = undefined;
    }
    // Content-addressed: an existing file with the right hash is already the right payload.
    if (!existing || sha256Hex(existing) !== sha256) await writeFileAtomic(payloadPath, payloadBytes);
    await writeFileAtomic(manifestPath, manifestBytes);
  } catch (error) {
    return {
      ok: false,
      code: 'E_PUBLISH_WRITE_FAILED',
      message: `cannot write to ${envDir}: ${(error as Error).message}`,
    };
  }
  return { ok: true, env, serial, manifestPath, payloadPath, previousSerial: decided.previousSerial, unchanged: false };
}
