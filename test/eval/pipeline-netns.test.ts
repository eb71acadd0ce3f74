/**
 * The whole pipeline with no network but loopback: a fresh network namespace (`unshare -n`, lo up)
 * in which public addresses are provably unreachable, running `node bin/switchyard.mjs pipeline` (what
 * `npm run pipeline` runs) on a throwaway git copy of the demo organisation. Timing figures live in
 * `npm run bench:pipeline`; this test only proves it completes offline.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/eval/index.ts';
import { makeDemoCopy } from '../../bench/pipeline/demo-copy.ts';
import { runPipeline } from '../../bench/pipeline/netns.ts';
import { needs } from '../helpers/capabilities.ts';
import { applyDemoPr, type DemoRepo } from './demo-repo.ts';

const netns = await needs('netns');

let repo: DemoRepo | undefined;
afterAll(() => repo?.cleanup());

describe.skipIf(netns.skip)(netns.title('switchyard pipeline in a network namespace with only loopback'), () => {
  it('completes as the demo PR with every public address unreachable', { timeout: 180_000 }, async () => {
    repo = await makeDemoCopy();
    await applyDemoPr(repo);
    repo.commit('demo PR');
    const run = await runPipeline(repo.dir, { isolated: true, args: ['--base', 'HEAD~1'] });

    expect(run.problems, run.output).toEqual([]);
    const probe = run.probe;
    expect(probe?.loopback.connected).toBe(true);
    expect(probe?.publicConnects.length).toBeGreaterThanOrEqual(2);
    for (const attempt of probe?.publicConnects ?? [])
      expect(attempt, attempt.target).toMatchObject({ connected: false, code: 'ENETUNREACH' });
    expect(probe?.dns.resolved).toBe(false);

    expect(run.code, run.output).toBe(0);
    expect(run.output).toMatch(/✔ pipeline finished in \d+\.\d s \(wall time\)/);
    expect(Object.keys(run.stages)).toEqual(['validate', 'eval', 'shadow', 'report', 'compile → sign → verify']);
    const report = JSON.parse(await readFile(join(repo.dir, '.switchyard/report/report.json'), 'utf8')) as Report;
    expect(report.verdict).toBe('pass');
    expect(report.offline).toBe(true);
    expect(report.tests.ran).toBe(true);
    expect(report.tests.stats.cases).toBeGreaterThan(0);
    expect(report.tests.stats.cached).toBe(0);
    expect(report.shadow.ran).toBe(true);
    expect(report.bundles.map((b) => b.env)).toEqual(['staging', 'production']);
    process.stdout.write(
      `pipeline in a network namespace: process wall ${((run.wallMs ?? 0) / 1000).toFixed(1)} s; stages ${JSON.stringify(run.stages)}\n`,
    );
  });
});
