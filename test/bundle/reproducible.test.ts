import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from './cli-capture.ts';
import { commitEdit, demoRepo, git, removeDir, tempDir } from './git-fixture.ts';

const dirs: string[] = [];
const track = (d: string) => (dirs.push(d), d);
afterAll(() => dirs.forEach(removeDir));

function payloadOf(dist: string, env: string): Buffer {
  const dir = join(dist, env, 'payload');
  const pointer = JSON.parse(readFileSync(join(dist, env, 'compiled.json'), 'utf8')) as { sha256: string };
  expect(readdirSync(dir)).toContain(`${pointer.sha256}.json`);
  return readFileSync(join(dir, `${pointer.sha256}.json`));
}

describe('reproducible bundles from real git clones', () => {
  let origin: string;
  let keys: string;
  beforeAll(async () => {
    origin = track(demoRepo());
    keys = track(tempDir('keys'));
    expect((await run(keys, ['keygen', '--out', 'ci.pem', '--trusted-keys', 'trusted.json'])).code).toBe(0);
  });

  it('compiles and signs the same commit byte-identically from two separate clones', async () => {
    const results: Array<{ payload: Buffer; manifest: Buffer }> = [];
    for (const name of ['a', 'b']) {
      const parent = track(tempDir(`clone-${name}`));
      git(parent, 'clone', '-q', origin, 'repo');
      const clone = join(parent, 'repo');
      for (const env of ['staging', 'production']) {
        const compiled = await run(clone, ['compile', '--env', env, '--out', 'dist']);
        expect(compiled.code, compiled.err).toBe(0);
        const signed = await run(clone, ['sign', 'dist', '--env', env, '--key', join(keys, 'ci.pem')]);
        expect(signed.code, signed.err).toBe(0);
      }
      results.push({
        payload: payloadOf(join(clone, 'dist'), 'production'),
        manifest: readFileSync(join(clone, 'dist', 'production', 'manifest.json')),
      });
      expect(payloadOf(join(clone, 'dist'), 'staging').equals(payloadOf(join(clone, 'dist'), 'production'))).toBe(
        false,
      );
    }
    expect(results[0]!.payload.equals(results[1]!.payload)).toBe(true);
    // Ed25519 is deterministic and createdAt is the commit time: the signed manifests match too.
    expect(results[0]!.manifest.equals(results[1]!.manifest)).toBe(true);
    expect(results[0]!.payload.toString('utf8')).not.toContain(origin);
  });

  it('a git revert publishes a higher serial that carries the old config', async () => {
    const repo = track(demoRepo());
    const pub = track(tempDir('pub'));
    const key = join(keys, 'ci.pem');
    const trusted = join(keys, 'trusted.json');
    const step = async (): Promise<{ serial: number; payload: Record<string, unknown> }> => {
      for (const argv of [
        ['compile', '--env', 'production', '--out', 'dist'],
        ['sign', 'dist', '--env', 'production', '--key', key],
        ['publish', 'dist', '--env', 'production', '--to', pub, '--trusted-keys', trusted],
      ]) {
        const r = await run(repo, argv);
        expect(r.code, `${argv[0]}: ${r.err}`).toBe(0);
      }
      const manifest = JSON.parse(readFileSync(join(pub, 'production', 'manifest.json'), 'utf8')) as {
        signed: { serial: number; payload: { sha256: string } };
      };
      const payload = JSON.parse(
        readFileSync(join(pub, 'production', 'payload', `${manifest.signed.payload.sha256}.json`), 'utf8'),
      ) as Record<string, unknown>;
      return { serial: manifest.signed.serial, payload };
    };

    const first = await step();
    commitEdit(repo, 'rollouts/new-onboarding-tips.yaml', 'percent: 25', 'percent: 100', 'tips to 100%');
    const raised = await step();
    git(repo, 'revert', '--no-edit', 'HEAD');
    const reverted = await step();

    expect(raised.serial).toBeGreaterThan(first.serial);
    expect(reverted.serial).toBeGreaterThan(raised.serial);
    const withoutCommit = ({ commit: _c, ...rest }: Record<string, unknown>) => rest;
    expect(withoutCommit(reverted.payload)).toEqual(withoutCommit(first.payload));
    expect(withoutCommit(raised.payload)).not.toEqual(withoutCommit(first.payload));
    // Old payloads stay published for in-flight fetches (the payload records its commit, so three files).
    expect(readdirSync(join(pub, 'production', 'payload'))).toHaveLength(3);

    // Publishing the older commit's bundle again is refused: serials only go up.
    git(repo, 'checkout', '-q', 'HEAD~2');
    await run(repo, ['compile', '--env', 'production', '--out', 'dist-old']);
    await run(repo, ['sign', 'dist-old', '--env', 'production', '--key', key]);
    const refused = await run(repo, ['publish', 'dist-old', '--env', 'production', '--to', pub]);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('E_PUBLISH_SERIAL_NOT_HIGHER');
  });
});
