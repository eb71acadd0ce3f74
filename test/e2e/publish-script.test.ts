import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTemplateRepo, type TemplateRepo } from './template-repo.ts';

/**
 * scripts/publish.sh as publish.yml runs it: the signed bundle is always verified before it leaves —
 * against a committed trusted-keys.json when there is one, else against the signing key's public half
 * (and the log says which).
 */
describe('scripts/publish.sh verifies before publishing', () => {
  let repo: TemplateRepo;
  let outside: string;
  let env: NodeJS.ProcessEnv;
  beforeEach(async () => {
    repo = await makeTemplateRepo();
    outside = await mkdtemp(join(tmpdir(), 'switchyard-publish-keys-'));
    const q = (p: string): string => JSON.stringify(join(outside, p));
    expect(
      (
        await repo.sh(
          `switchyard keygen --out ${q('signing.pem')} && switchyard keygen --out ${q('stranger.pem')} --trusted-keys ${q('stranger-trusted.json')}`,
        )
      ).code,
    ).toBe(0);
    env = {
      SWITCHYARD_SIGNING_KEY: await readFile(join(outside, 'signing.pem'), 'utf8'),
      SWITCHYARD_PUBLISH_TARGET: join(outside, 'published'),
    };
  });
  afterEach(async () => {
    await repo.cleanup();
    await rm(outside, { recursive: true, force: true });
  });

  const published = async (): Promise<boolean> =>
    (await stat(join(outside, 'published', 'staging', 'manifest.json')).catch(() => undefined)) !== undefined;

  it("without a trusted-keys file: verifies against the signing key's public half, says so, publishes", async () => {
    const result = await repo.sh('scripts/publish.sh staging', env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("against the signing key's own public half");
    expect(result.stdout).toMatch(/✔ \d+ of 1 required trusted signature/);
    expect(await published()).toBe(true);
  });

  it('a committed trusted-keys.json that does not list the signing key stops the publish', async () => {
    await repo.sh(
      `cp ${JSON.stringify(join(outside, 'stranger-trusted.json'))} trusted-keys.json && git add trusted-keys.json && git commit -qm "trust the stranger"`,
    );
    const result = await repo.sh('scripts/publish.sh staging', env);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('verifying the signed bundle against trusted-keys.json');
    expect(result.stdout + result.stderr).toContain('E_SIGNATURE_UNTRUSTED');
    expect(await published()).toBe(false);
  });

  it('refuses to sign a commit whose gate does not pass (a direct push to main moving 95% of users at once)', async () => {
    // Valid YAML, no stage list touched: the pin moves and the rollout that was moving users goes away.
    await repo.sh(
      "sed -i 's/^snapshot: gpt-4o-2024-05-13$/snapshot: gpt-4o-2024-08-06/' models/chat.yaml && git rm -q rollouts/chat-gpt-4o-2024-08-06.yaml && git commit -qam 'all users on the new snapshot'",
    );
    const result = await repo.sh('scripts/publish.sh staging', env);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /E_PUBLISH_GATE refusing to sign [0-9a-f]{40}: its gate does not pass against [0-9a-f]{40}/,
    );
    expect(result.stdout).toContain('E_GATE_EXPOSURE_STEP');
    expect(await published()).toBe(false);

    // The same intent one stage at a time is signed and published.
    await repo.sh(
      "git reset -q --hard HEAD~1 && sed -i 's/^percent: 5$/percent: 25/' rollouts/chat-gpt-4o-2024-08-06.yaml && git commit -qam 'next stage'",
    );
    const ok = await repo.sh('scripts/publish.sh staging', env);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/gate: [0-9a-f]+ passes against [0-9a-f]{40} \(re-evaluated\)/);
    expect(await published()).toBe(true);
  }, 120_000);

  it('hands SWITCHYARD_SIGNING_KEY to the sign step only', async () => {
    // A `node` shim first on PATH logs, per CLI invocation, whether the key is in its environment.
    const shim = join(outside, 'shim');
    await mkdir(shim);
    const log = join(outside, 'invocations.log');
    await writeFile(
      join(shim, 'node'),
      `#!/bin/sh\necho "$2 key=\${SWITCHYARD_SIGNING_KEY:+set}" >> ${JSON.stringify(log)}\nexec ${JSON.stringify(process.execPath)} "$@"\n`,
    );
    await chmod(join(shim, 'node'), 0o755);
    const result = await repo.sh('scripts/publish.sh staging', { ...env, PATH: `${shim}:${process.env.PATH ?? ''}` });
    expect(result.code, result.stderr).toBe(0);
    const lines = (await readFile(log, 'utf8')).trim().split('\n');
    expect(lines.map((l) => l.split(' ')[0])).toEqual(
      expect.arrayContaining(['pipeline', 'validate', 'compile', 'sign', 'verify', 'github']),
    );
    expect(lines.filter((l) => l.endsWith('key=set'))).toEqual(['sign key=set']);
  });
});
