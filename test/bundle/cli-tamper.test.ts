import { cpSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalBytes, publishToDirectory, type Manifest } from '../../src/bundle/index.ts';
import { generateSigningKey, trustedKeysDocument } from '../../src/bundle/keys.ts';
import { run } from './cli-capture.ts';
import { NOW, signedBundle } from './fixtures.ts';
import { removeDir, tempDir } from './git-fixture.ts';

/** The tamper suite through `switchyard verify`: each case is its own directory and its own code. */
const ci = generateSigningKey();
const attacker = generateSigningKey();
let root: string;
let good: string;
const now = new Date(NOW).toISOString();

beforeAll(async () => {
  root = tempDir('tamper');
  writeFileSync(join(root, 'trusted.json'), trustedKeysDocument([{ key: ci.publicKey }]));
  const bundle = signedBundle([ci]);
  good = join(root, 'good');
  expect((await publishToDirectory(good, bundle.manifestBytes, bundle.payloadBytes)).ok).toBe(true);
});
afterAll(() => removeDir(root));

function variant(name: string, edit: (dir: string, manifest: Manifest, payloadFile: string) => void): string {
  const dir = join(root, name);
  cpSync(good, dir, { recursive: true });
  const envDir = join(dir, 'staging');
  const manifest = JSON.parse(readFileSync(join(envDir, 'manifest.json'), 'utf8')) as Manifest;
  const payloadFile = join(envDir, 'payload', readdirSync(join(envDir, 'payload'))[0]!);
  edit(envDir, manifest, payloadFile);
  return dir;
}

const writeManifest = (envDir: string, value: unknown) =>
  writeFileSync(join(envDir, 'manifest.json'), canonicalBytes(value));

async function verify(dir: string, ...extra: string[]): Promise<string> {
  const r = await run(root, [
    'verify',
    dir,
    '--env',
    'staging',
    '--trusted-keys',
    join(root, 'trusted.json'),
    '--now',
    now,
    ...extra,
  ]);
  if (r.code === 0) return 'accepted';
  expect(r.code).toBe(1);
  return /✖ (E_[A-Z_]+)/.exec(r.out)?.[1] ?? `no code in: ${r.out} ${r.err}`;
}

describe('switchyard verify: tamper suite', () => {
  it('accepts the untouched bundle', async () => {
    expect(await verify(good)).toBe('accepted');
  });

  it('serial bounds: --last-serial N requires more than N, --min-serial N accepts N itself', async () => {
    expect(JSON.parse(readFileSync(join(good, 'staging', 'manifest.json'), 'utf8')).signed.serial).toBe(7);
    expect(await verify(good, '--last-serial', '6')).toBe('accepted');
    expect(await verify(good, '--min-serial', '7')).toBe('accepted');
    const both = await run(root, [
      'verify',
      good,
      '--env',
      'staging',
      '--trusted-keys',
      join(root, 'trusted.json'),
      '--last-serial',
      '6',
      '--min-serial',
      '7',
    ]);
    expect(both.code).toBe(2);
  });

  it.each<[string, (envDir: string, m: Manifest, payloadFile: string) => void, string[], string]>([
    [
      'flipped byte in the manifest',
      (d) => {
        const bytes = readFileSync(join(d, 'manifest.json'));
        const at = bytes.indexOf('"serial":7') + '"serial":'.length;
        bytes[at] = '8'.charCodeAt(0);
        writeFileSync(join(d, 'manifest.json'), bytes);
      },
      [],
      'E_SIGNATURE_INVALID',
    ],
    [
      'flipped byte in the payload',
      (_d, _m, p) => {
        const bytes = readFileSync(p);
        bytes[30] = bytes[30]! ^ 0x01;
        writeFileSync(p, bytes);
      },
      [],
      'E_PAYLOAD_HASH_MISMATCH',
    ],
    [
      'signature by an untrusted key',
      (d) => writeFileSync(join(d, 'manifest.json'), signedBundle([attacker]).manifestBytes),
      [],
      'E_SIGNATURE_UNTRUSTED',
    ],
    [
      'no signature at all',
      (d, m) => writeManifest(d, { signed: m.signed, signatures: [] }),
      [],
      'E_SIGNATURE_MISSING',
    ],
    [
      'no signature, manifest claims none is needed',
      (d, m) => writeManifest(d, { signed: { ...m.signed, signaturesRequired: 0 }, signatures: [], unsigned: true }),
      [],
      'E_SIGNATURE_MISSING',
    ],
    [
      'truncated signature',
      (d, m) =>
        writeManifest(d, { ...m, signatures: [{ ...m.signatures[0]!, sig: m.signatures[0]!.sig.slice(0, 40) }] }),
      [],
      'E_SIGNATURE_TRUNCATED',
    ],
    // The bundle has serial 7.
    ['serial equal to the last accepted', () => {}, ['--last-serial', '7'], 'E_SERIAL_TOO_LOW'],
    ['serial lower than the last accepted', () => {}, ['--last-serial', '100'], 'E_SERIAL_TOO_LOW'],
    ['serial below an inclusive minimum', () => {}, ['--min-serial', '8'], 'E_SERIAL_TOO_LOW'],
    ['expired manifest', () => {}, ['--now', '2027-01-01T00:00:00Z'], 'E_EXPIRED'],
    [
      'wrong environment',
      (d) => writeFileSync(join(d, 'manifest.json'), signedBundle([ci], { env: 'production' }).manifestBytes),
      [],
      'E_WRONG_ENV',
    ],
    [
      'payload with a different length',
      (_d, _m, p) => writeFileSync(p, Buffer.concat([readFileSync(p), Buffer.from(' ')])),
      [],
      'E_PAYLOAD_LENGTH_MISMATCH',
    ],
    ['oversize payload', () => {}, ['--max-payload-bytes', '64'], 'E_PAYLOAD_TOO_LARGE'],
    [
      'manifest that is not JSON',
      (d) => writeFileSync(join(d, 'manifest.json'), '<html>503</html>'),
      [],
      'E_MANIFEST_NOT_JSON',
    ],
    [
      'manifest with duplicate keys',
      (d) => {
        const text = readFileSync(join(d, 'manifest.json'), 'utf8');
        writeFileSync(join(d, 'manifest.json'), text.replace('"env":"staging"', '"env":"staging","env":"production"'));
      },
      [],
      'E_MANIFEST_DUPLICATE_KEY',
    ],
  ])('%s', async (name, edit, extra, code) => {
    const dir = variant(name.replace(/\W+/g, '-'), edit);
    expect(await verify(dir, ...extra)).toBe(code);
  });
});
