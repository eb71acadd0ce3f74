/**
 * `switchyard sign` honours switchyard.yaml `signing.trustedKeys`: a bundle signed only by keys the
 * project's runtimes do not trust is refused at signing time, with a stable code.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../bundle/cli-capture.ts';
import { demoRepo, git, removeDir, tempDir } from '../bundle/git-fixture.ts';

const keyidOf = (out: string): string => /keyid +([0-9a-f]{64})/.exec(out)?.[1] ?? '';

describe('sign and signing.trustedKeys', () => {
  let repo: string;
  let keys: string;
  let trustedId: string;
  let otherId: string;
  beforeAll(async () => {
    repo = demoRepo();
    keys = tempDir('sign-keys');
    trustedId = keyidOf((await run(keys, ['keygen', '--out', 'trusted.pem'])).out);
    otherId = keyidOf((await run(keys, ['keygen', '--out', 'other.pem'])).out);
    expect(trustedId).toMatch(/^[0-9a-f]{64}$/);
    const settings = join(repo, 'switchyard.yaml');
    writeFileSync(
      settings,
      readFileSync(settings, 'utf8').replace('trustedKeys: []', `trustedKeys:\n    - ${trustedId}`),
    );
    git(repo, 'commit', '-q', '-am', 'trust one key');
    expect((await run(repo, ['compile', '--env', 'staging'])).code).toBe(0);
  });
  afterAll(() => {
    removeDir(repo);
    removeDir(keys);
  });

  it('refuses to sign with only keys that are not listed (E_SIGN_KEY_NOT_TRUSTED), and writes no manifest', async () => {
    const refused = await run(repo, ['sign', '--env', 'staging', '--key', join(keys, 'other.pem')]);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('E_SIGN_KEY_NOT_TRUSTED');
    expect(refused.err).toContain(otherId);
    expect(() => readFileSync(join(repo, 'dist', 'staging', 'manifest.json'))).toThrow();
  });

  it('signs when one of the keys is listed (rotation: a new key signs alongside a trusted one)', async () => {
    const signed = await run(repo, [
      'sign',
      '--env',
      'staging',
      '--key',
      join(keys, 'other.pem'),
      '--key',
      join(keys, 'trusted.pem'),
      '--public-keys-out',
      join(keys, 'public.json'),
    ]);
    expect(signed.code, signed.err).toBe(0);
    const manifest = JSON.parse(readFileSync(join(repo, 'dist', 'staging', 'manifest.json'), 'utf8')) as {
      signatures: Array<{ keyid: string }>;
    };
    expect(manifest.signatures.map((s) => s.keyid).sort()).toEqual([otherId, trustedId].sort());
    // The public halves, as a trusted-keys file the verifier accepts.
    const publicKeys = JSON.parse(readFileSync(join(keys, 'public.json'), 'utf8')) as {
      threshold: number;
      keys: Array<{ keyid: string; publicKey: string }>;
    };
    expect(publicKeys.threshold).toBe(1);
    expect(publicKeys.keys.map((k) => k.keyid).sort()).toEqual([otherId, trustedId].sort());
    expect(JSON.stringify(publicKeys)).not.toContain('PRIVATE');
    const verified = await run(repo, [
      'verify',
      'dist',
      '--env',
      'staging',
      '--trusted-keys',
      join(keys, 'public.json'),
    ]);
    expect(verified.code, verified.out).toBe(0);
  });
});
