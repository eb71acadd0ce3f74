import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { envDir } from '../../src/bundle/dist-layout.ts';
import { generateSigningKey } from '../../src/bundle/keys.ts';
import { startS3Double, type S3Double } from '../helpers/s3-server.ts';
import { run } from './cli-capture.ts';
import { signedBundle, smallPayload, type Signed } from './fixtures.ts';
import { removeDir, tempDir } from './git-fixture.ts';

// The AWS SDK reads credentials and region from the process environment (its own chain), so the test
// sets them there, pointing the shared config files somewhere empty so no host profile leaks in.
const AWS_VARS = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_PROFILE',
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_CONFIG_FILE',
  'AWS_SHARED_CREDENTIALS_FILE',
  'AWS_EC2_METADATA_DISABLED',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_ENDPOINT_URL',
  'AWS_ENDPOINT_URL_S3',
];
const saved = Object.fromEntries(AWS_VARS.map((name) => [name, process.env[name]]));
const ACCESS_KEY = 'AKIASWITCHYARDTEST01';
const key = generateSigningKey();
const dirs: string[] = [];
let s3: S3Double;

function setCredentials(): void {
  for (const name of AWS_VARS) delete process.env[name];
  const empty = tempDir('aws-config');
  dirs.push(empty);
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: ACCESS_KEY,
    AWS_SECRET_ACCESS_KEY: 'local-test-secret-not-a-real-one',
    AWS_REGION: 'us-east-1',
    AWS_CONFIG_FILE: join(empty, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: join(empty, 'credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
  });
}

beforeAll(async () => {
  s3 = await startS3Double({ bucket: 'bundles', accessKeyId: ACCESS_KEY });
});
afterEach(() => {
  s3.log.length = 0;
  s3.objects.clear();
  s3.beforePut = undefined;
});
afterAll(async () => {
  await s3.close();
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  dirs.forEach(removeDir);
});

/** A dist/ directory holding one signed bundle, as `switchyard sign` leaves it. */
function dist(bundle: Signed): string {
  const root = tempDir('publish-s3');
  dirs.push(root);
  const dir = envDir(join(root, 'dist'), 'staging');
  mkdirSync(join(dir, 'payload'), { recursive: true });
  writeFileSync(join(dir, 'manifest.json'), bundle.manifestBytes);
  writeFileSync(join(dir, 'payload', `${bundle.manifest.signed.payload.sha256}.json`), bundle.payloadBytes);
  return root;
}

function bundle(serial: number, percent = 10): Signed {
  const payload = smallPayload();
  payload.flags.tips!.percent = percent;
  payload.flags.tips!.thresholdPpm = percent * 10_000;
  return signedBundle([key], { serial, payload });
}

const publish = (root: string, extra: string[] = []) =>
  run(root, [
    'publish',
    'dist',
    '--env',
    'staging',
    '--to',
    's3://bundles/config',
    '--s3-endpoint',
    s3.url,
    '--s3-path-style',
    ...extra,
  ]);

const manifestKey = 'config/staging/manifest.json';
const payloadKey = (b: Signed) => `config/staging/payload/${b.manifest.signed.payload.sha256}.json`;
const stored = (k: string) => s3.objects.get(k)?.body.toString('utf8');

describe('switchyard publish --to s3://', () => {
  beforeAll(setCredentials);

  it('writes the payload first and the manifest last, signed, with conditional create', async () => {
    const first = bundle(3);
    const result = await publish(dist(first));
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(result.out).toContain('published staging serial 3');
    expect(s3.log).toEqual([
      `GET ${manifestKey} 404`,
      `GET ${payloadKey(first)} 404`,
      `PUT ${payloadKey(first)} 200`,
      `PUT ${manifestKey} 200`,
    ]);
    expect(stored(manifestKey)).toBe(Buffer.from(first.manifestBytes).toString('utf8'));
    expect(stored(payloadKey(first))).toBe(Buffer.from(first.payloadBytes).toString('utf8'));
  });

  it('publishes a higher serial over the old one and keeps the old payload; the identical manifest again is a no-op', async () => {
    const first = bundle(3);
    const second = bundle(4, 50);
    expect((await publish(dist(first))).code).toBe(0);
    const root = dist(second);
    const result = await publish(root);
    expect(result.code).toBe(0);
    expect(result.out).toContain('published staging serial 4 (was 3)');
    expect(stored(manifestKey)).toBe(Buffer.from(second.manifestBytes).toString('utf8'));
    expect(s3.objects.has(payloadKey(first))).toBe(true);
    s3.log.length = 0;
    const again = await publish(root);
    expect(again.code).toBe(0);
    expect(again.out).toContain('already published (no change)');
    expect(s3.log).toEqual([`GET ${manifestKey} 200`]);
  });

  it('leaves a payload already present alone (content-addressed)', async () => {
    const first = bundle(5);
    s3.put(payloadKey(first), first.payloadBytes);
    expect((await publish(dist(first))).code).toBe(0);
    expect(s3.log.filter((line) => line.startsWith('PUT'))).toEqual([`PUT ${manifestKey} 200`]);
  });

  it('refuses an equal or lower serial before writing anything', async () => {
    const current = bundle(10);
    expect((await publish(dist(current))).code).toBe(0);
    for (const serial of [10, 9]) {
      s3.log.length = 0;
      const older = bundle(serial, 70);
      const result = await publish(dist(older));
      expect(result.code).toBe(1);
      expect(result.err).toContain('E_PUBLISH_SERIAL_NOT_HIGHER');
      expect(s3.log).toEqual([`GET ${manifestKey} 200`]);
      expect(s3.objects.has(payloadKey(older))).toBe(false);
    }
    expect(stored(manifestKey)).toBe(Buffer.from(current.manifestBytes).toString('utf8'));
  });

  it('loses a race cleanly: the manifest changed between read and write → E_PUBLISH_CONFLICT, the winner stays', async () => {
    const existing = bundle(20);
    const mine = bundle(21, 30);
    const theirs = bundle(22, 90);
    s3.put(manifestKey, existing.manifestBytes);
    // Another publisher writes its serial after ours read the manifest and before our manifest PUT.
    s3.beforePut = (k) => {
      if (k === manifestKey) {
        s3.put(manifestKey, theirs.manifestBytes);
        s3.beforePut = undefined;
      }
    };
    const result = await publish(dist(mine));
    expect(result.code).toBe(1);
    expect(result.err).toContain('E_PUBLISH_CONFLICT');
    expect(result.err).toContain('re-run');
    expect(result.err).not.toMatch(/\n\s+at /);
    expect(s3.log.at(-1)).toBe(`PUT ${manifestKey} 412`);
    expect(stored(manifestKey)).toBe(Buffer.from(theirs.manifestBytes).toString('utf8'));
  });

  it('loses a first-publish race too (If-None-Match: *)', async () => {
    const mine = bundle(1);
    const theirs = bundle(2, 90);
    s3.beforePut = (k) => {
      if (k === manifestKey) s3.put(manifestKey, theirs.manifestBytes);
    };
    const result = await publish(dist(mine));
    expect(result.err).toContain('E_PUBLISH_CONFLICT');
    expect(stored(manifestKey)).toBe(Buffer.from(theirs.manifestBytes).toString('utf8'));
  });

  it('refuses a bad s3:// target and S3 flags without one, as usage errors with codes', async () => {
    const root = dist(bundle(1));
    const bad = await run(root, ['publish', 'dist', '--env', 'staging', '--to', 's3://Not_A_Bucket/x']);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('E_PUBLISH_S3_CONFIG');
    const stray = await run(root, [
      'publish',
      'dist',
      '--env',
      'staging',
      '--to',
      join(root, 'out'),
      '--s3-path-style',
    ]);
    expect(stray.code).toBe(2);
    expect(s3.log).toEqual([]);
  });

  it('a wrong access key is refused by the server (403) and reported with a code, not a stack trace', async () => {
    process.env.AWS_ACCESS_KEY_ID = 'AKIANOTKNOWNTOTHEDOUBLE';
    try {
      const result = await publish(dist(bundle(1)));
      expect(result.code).toBe(1);
      expect(result.err).toContain('E_PUBLISH_TARGET_UNREADABLE');
      expect(result.err).toContain('InvalidAccessKeyId');
      expect(result.err).toContain('HTTP 403');
      expect(s3.log).toEqual([`GET ${manifestKey} 403`]);
    } finally {
      process.env.AWS_ACCESS_KEY_ID = ACCESS_KEY;
    }
  });
});

describe('switchyard publish --to s3:// without credentials', () => {
  beforeAll(() => {
    setCredentials();
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
  });
  afterAll(setCredentials);

  it('fails with E_PUBLISH_S3_CREDENTIALS and a hint, sending nothing', async () => {
    const result = await publish(dist(bundle(1)));
    expect(result.code).toBe(1);
    expect(result.err).toContain('E_PUBLISH_S3_CREDENTIALS');
    expect(result.err).toContain('AWS_ACCESS_KEY_ID');
    expect(result.err).not.toMatch(/\n\s+at /);
    expect(s3.log).toEqual([]);
  });
});

describe('the test double itself', () => {
  it('refuses an unsigned request with 403 AccessDenied, like S3', async () => {
    const response = await fetch(`${s3.url}/bundles/${manifestKey}`, { method: 'PUT', body: 'x' });
    expect(response.status).toBe(403);
    expect(await response.text()).toContain('<Code>AccessDenied</Code>');
    expect(s3.objects.size).toBe(0);
  });
});
