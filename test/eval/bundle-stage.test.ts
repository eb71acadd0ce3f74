/**
 * The pipeline signs like publishing: serial and createdAt from git, expiry from
 * signing.expiresAfter, verified from disk by the publishing verifier, no key file written.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileSignVerify, openWorkspace } from '../../src/eval/index.ts';
import { applyDemoPr, makeDemoRepo, type DemoRepo } from './demo-repo.ts';

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

async function listTree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

describe('pipeline compile → sign → verify', () => {
  it('takes serial and createdAt from git and expiry from signing.expiresAfter, like `switchyard sign`', async () => {
    const repo: DemoRepo = await makeDemoRepo();
    cleanups.push(repo.cleanup);
    await applyDemoPr(repo);
    await repo.edit('switchyard.yaml', (t) => t.replace(/^ {2}expiresAfter: 30d$/m, '  expiresAfter: 12h'));
    repo.commit('demo PR, bundles trusted for 12 hours');
    const out = await mkdtemp(join(tmpdir(), 'switchyard-stage-'));
    cleanups.push(() => rm(out, { recursive: true, force: true }));

    const ws = await openWorkspace(repo.dir, undefined);
    expect(ws.errors).toEqual([]);
    const { bundles } = await compileSignVerify(ws.head!, ws.commit, out, { root: repo.dir });

    const serial = Number(repo.git('rev-list', '--first-parent', '--count', 'HEAD'));
    expect(serial).toBe(2);
    const committed = new Date(repo.git('log', '-1', '--format=%cI')).getTime();
    expect(bundles.map((b) => b.env)).toEqual(['staging', 'production']);
    for (const b of bundles) {
      expect(b.verified, b.message).toBe(true);
      const manifest = JSON.parse(await readFile(join(out, b.env, 'manifest.json'), 'utf8')) as {
        signed: { serial: number; createdAt: string; expires: string; commit: string };
      };
      expect(manifest.signed).toMatchObject({ serial, commit: ws.commit });
      expect(Date.parse(manifest.signed.createdAt)).toBe(committed);
      expect(Date.parse(manifest.signed.expires) - committed).toBe(12 * 3600 * 1000);
      expect(b).toMatchObject({ serial, createdAt: manifest.signed.createdAt, expires: manifest.signed.expires });
      expect(b.message).toContain(`serial ${serial} from git`);
      // Only the bundle is written: no key material next to it.
      expect(await listTree(join(out, b.env))).toEqual(['manifest.json', `payload/${b.sha256}.json`]);
    }
  });

  it('reports an unusable signing.expiresAfter instead of signing with a made-up expiry', async () => {
    const repo = await makeDemoRepo();
    cleanups.push(repo.cleanup);
    const ws = await openWorkspace(repo.dir, undefined);
    const project = {
      ...ws.head!,
      settings: { ...ws.head!.settings, signing: { ...ws.head!.settings.signing, expiresAfter: 'forever' } },
    };
    const out = await mkdtemp(join(tmpdir(), 'switchyard-stage-'));
    cleanups.push(() => rm(out, { recursive: true, force: true }));
    const { bundles } = await compileSignVerify(project, ws.commit, out, { root: repo.dir });
    expect(bundles.every((b) => !b.verified && b.message.includes("signing.expiresAfter 'forever'"))).toBe(true);
  });
});
