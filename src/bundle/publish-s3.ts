/**
 * Publishing to an S3-compatible object store (`s3://bucket/prefix`) through the AWS SDK: SigV4 and
 * credentials come from the SDK's own environment/profile chain, never from code of ours. Same layout
 * and rules as the directory publisher (`planPublish`, `decideManifest` in publish.ts): the payload
 * first (content-addressed, so an object already there is left alone), the manifest last. The
 * manifest write is conditional on the ETag read when the serial was checked (`If-Match`, or
 * `If-None-Match: *` when there was none), so two racing publishers cannot overwrite each other's
 * serial: the loser gets `E_PUBLISH_CONFLICT` and re-runs. The SDK is imported on first use, so other
 * commands never load it.
 */

import type * as S3 from '@aws-sdk/client-s3';
import { sha256Hex } from './runtime-format.ts';
import { decideManifest, planPublish, type PublishCode, type PublishResult } from './publish.ts';

export interface S3Location {
  bucket: string;
  /** Key prefix without leading or trailing slashes ('' for the bucket root). */
  prefix: string;
}

export interface S3PublishOptions {
  /** Endpoint override (MinIO, R2, Ceph…); default: AWS_ENDPOINT_URL_S3, then AWS_ENDPOINT_URL, then AWS. */
  endpoint?: string;
  /** Path-style requests (`<endpoint>/<bucket>/<key>`), which most self-hosted servers need. */
  forcePathStyle?: boolean;
  region?: string;
  allowLowerSerial?: boolean;
  /** Where the endpoint defaults are read from (the CLI passes its own environment). */
  env?: NodeJS.ProcessEnv;
}

type Failure = { ok: false; code: PublishCode; message: string };

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Parses `s3://bucket/optional/prefix`; null when the text is not an s3:// URL. */
export function parseS3Url(text: string): { ok: true; location: S3Location } | Failure | null {
  if (!/^s3:\/\//i.test(text)) return null;
  const rest = text.slice('s3://'.length);
  const slash = rest.indexOf('/');
  const bucket = slash === -1 ? rest : rest.slice(0, slash);
  const prefix = slash === -1 ? '' : rest.slice(slash + 1).replace(/^\/+|\/+$/g, '');
  if (!BUCKET.test(bucket))
    return {
      ok: false,
      code: 'E_PUBLISH_S3_CONFIG',
      message: `'${bucket}' is not an S3 bucket name (write the target as s3://bucket/prefix)`,
    };
  if (prefix.split('/').some((part) => part === '.' || part === '..')) {
    return { ok: false, code: 'E_PUBLISH_S3_CONFIG', message: `the prefix '${prefix}' has '.' or '..' segments` };
  }
  return { ok: true, location: { bucket, prefix } };
}

interface SdkError {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

function status(error: unknown): number | undefined {
  return (error as SdkError).$metadata?.httpStatusCode;
}

/** Turns an SDK failure into a coded one; credentials and region problems get their own codes and hints. */
function sdkFailure(error: unknown, code: PublishCode, doing: string): Failure {
  const e = error as SdkError;
  const text = `${e.name ?? 'Error'}: ${e.message ?? String(error)}`;
  if (e.name === 'CredentialsProviderError' || (/credential/i.test(e.message ?? '') && status(error) === undefined)) {
    return {
      ok: false,
      code: 'E_PUBLISH_S3_CREDENTIALS',
      message: `no AWS credentials for ${doing} (${e.message ?? 'none found'}); set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or run where a role is available`,
    };
  }
  if (/region is missing/i.test(e.message ?? '')) {
    return {
      ok: false,
      code: 'E_PUBLISH_S3_CONFIG',
      message: `no AWS region for ${doing}; set AWS_REGION (us-east-1 for most S3-compatible servers)`,
    };
  }
  return { ok: false, code, message: `${doing} failed: ${text}${status(error) ? ` (HTTP ${status(error)})` : ''}` };
}

async function readBody(body: unknown): Promise<Uint8Array> {
  return (body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray();
}

/** Reads an object; null when it does not exist. */
async function getObject(
  client: S3.S3Client,
  sdk: typeof S3,
  bucket: string,
  key: string,
): Promise<{ bytes: Uint8Array; etag: string } | null> {
  try {
    const got = await client.send(new sdk.GetObjectCommand({ Bucket: bucket, Key: key }));
    return { bytes: await readBody(got.Body), etag: got.ETag ?? '' };
  } catch (error) {
    if ((error as SdkError).name === 'NoSuchKey' || status(error) === 404) return null;
    throw error;
  }
}

/** Publishes a signed manifest and its payload for one environment to `s3://bucket/prefix/<env>/`. */
export async function publishToS3(
  location: S3Location,
  manifestBytes: Uint8Array,
  payloadBytes: Uint8Array,
  options: S3PublishOptions = {},
): Promise<PublishResult> {
  const planned = planPublish(manifestBytes, payloadBytes);
  if (!planned.ok) return planned;
  const { env, serial, sha256 } = planned.plan;
  const base = location.prefix ? `${location.prefix}/${env}` : env;
  const manifestKey = `${base}/manifest.json`;
  const payloadKey = `${base}/payload/${sha256}.json`;
  const manifestPath = `s3://${location.bucket}/${manifestKey}`;
  const payloadPath = `s3://${location.bucket}/${payloadKey}`;
  const vars = options.env ?? process.env;
  const endpoint = options.endpoint ?? (vars.AWS_ENDPOINT_URL_S3 || vars.AWS_ENDPOINT_URL || undefined);

  const sdk = await import('@aws-sdk/client-s3');
  const client = new sdk.S3Client({
    ...(endpoint ? { endpoint } : {}),
    ...(options.region ? { region: options.region } : {}),
    forcePathStyle: options.forcePathStyle ?? false,
    // Many S3-compatible servers reject the SDK's newer default checksum headers; S3 does not need them.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  try {
    let current: { bytes: Uint8Array; etag: string } | null;
    try {
      current = await getObject(client, sdk, location.bucket, manifestKey);
    } catch (error) {
      return sdkFailure(error, 'E_PUBLISH_TARGET_UNREADABLE', `reading ${manifestPath}`);
    }
    // Without an ETag the write cannot be made conditional, and an unconditional one could lose a race.
    if (current && !current.etag)
      return {
        ok: false,
        code: 'E_PUBLISH_TARGET_UNREADABLE',
        message: `the store sent no ETag for ${manifestPath}, so the manifest cannot be replaced safely`,
      };
    const decided = decideManifest(manifestPath, current?.bytes ?? null, manifestBytes, serial, options);
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
      const existing = await getObject(client, sdk, location.bucket, payloadKey);
      // Content-addressed: an object with the right hash is already the right payload.
      if (!existing || sha256Hex(existing.bytes) !== sha256) {
        await client.send(
          new sdk.PutObjectCommand({
            Bucket: location.bucket,
            Key: payloadKey,
            Body: payloadBytes,
            ContentType: 'application/json',
            CacheControl: 'public, max-age=31536000, immutable',
          }),
        );
      }
    } catch (error) {
      return sdkFailure(error, 'E_PUBLISH_WRITE_FAILED', `writing ${payloadPath}`);
    }

    try {
      await client.send(
        new sdk.PutObjectCommand({
          Bucket: location.bucket,
          Key: manifestKey,
          Body: manifestBytes,
          ContentType: 'application/json',
          CacheControl: 'no-cache',
          ...(current ? { IfMatch: current.etag } : { IfNoneMatch: '*' }),
        }),
      );
    } catch (error) {
      // 412: the manifest changed since it was read; 409: S3's answer to two conditional writes at
      // once; 404 on If-Match: it was deleted since it was read.
      if (status(error) === 412 || status(error) === 409 || (current && status(error) === 404)) {
        return {
          ok: false,
          code: 'E_PUBLISH_CONFLICT',
          message: `${manifestPath} changed while publishing serial ${serial} (another publisher got there first); nothing was overwritten — re-run the publish to check the serial again`,
        };
      }
      return sdkFailure(error, 'E_PUBLISH_WRITE_FAILED', `writing ${manifestPath}`);
    }
    return {
      ok: true,
      env,
      serial,
      manifestPath,
      payloadPath,
      previousSerial: decided.previousSerial,
      unchanged: false,
    };
  } finally {
    client.destroy();
  }
}
