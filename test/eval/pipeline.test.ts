import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import type { Report } from '../../src/eval/index.ts';
import { applyDemoPr, makeDemoRepo, type DemoRepo } from './demo-repo.ts';
import { testIo } from './io.ts';

let repo: DemoRepo | undefined;
afterAll(() => repo?.cleanup());

describe('switchyard pipeline', () => {
  it('runs the PR flow offline, with any proxied traffic blackholed, and prints its wall time', async () => {
    repo = await makeDemoRepo();
    await applyDemoPr(repo);
    repo.commit('demo PR');
    // Anything that tried to leave the machine through a proxy would hit a dead port.
    const io = testIo(repo.dir, {
      HTTPS_PROXY: 'http://127.0.0.1:9',
      HTTP_PROXY: 'http://127.0.0.1:9',
      NO_PROXY: '127.0.0.1,localhost',
    });
    const code = await main(['pipeline', '--base', 'HEAD~1'], io);
    expect(code, io.text()).toBe(0);
    const text = io.text();
    expect(text).toMatch(/pipeline finished in \d+\.\d s \(wall time\)/);
    expect(text).toMatch(/✔ staging: sha256:[0-9a-f]{64} — signature, serial, expiry, length and sha256 verified/);
    expect(text).toMatch(/✔ production: sha256:[0-9a-f]{64}/);
    expect(text).toContain('signed with an ephemeral dev key');
    const report = JSON.parse(await readFile(join(repo.dir, '.switchyard/report/report.json'), 'utf8')) as Report;
    expect(report.verdict).toBe('pass');
    expect(report.offline).toBe(true);
    expect(report.bundles.map((b) => b.env)).toEqual(['staging', 'production']);
    // No key material is left in the repository.
    expect(repo.git('status', '--porcelain', '--ignored')).not.toMatch(/\.pem|\.key/);
  });
});
