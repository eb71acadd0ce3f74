/**
 * The embedded store's outage, for real: PGlite's data directory runs out of space in the middle of
 * a 100,000-event load (a tmpfs filled by a ballast file, in a private mount namespace of a child
 * process), then space is freed. PostgreSQL's writes fail with ENOSPC, the sink retries and drops
 * (counted); afterwards the database — reopened from another process — holds exactly the events
 * that were acknowledged, once each. Needs root for `unshare -m` and `mount -t tmpfs`; without them
 * the test is skipped with the reason, or fails under CI (test/helpers/capabilities.ts).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.ts';
import type { SinkStats } from '../../src/store/events.ts';
import { needs } from '../../../../test/helpers/capabilities.ts';

const mountns = await needs('mountns');

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const TOTAL = 100_000;

interface ChildResult {
  stats: SinkStats;
  acknowledged: string[];
  errors: Record<string, number>;
  phases: string[];
  slowestWriteMs: number;
  closeError: string | null;
}

describe.skipIf(mountns.skip)(
  mountns.title('embedded store (PGlite): the disk fills up during a load of 100,000 events'),
  () => {
    const base = mkdtempSync(join(tmpdir(), 'sy-pglite-outage-'));
    afterAll(() => rmSync(base, { recursive: true, force: true }));

    it(
      'loses none that were acknowledged, counts every one it dropped, and takes writes again once there is space',
      { timeout: 240_000 },
      async () => {
        const mountPoint = join(base, 'disk');
        const copy = join(base, 'events-after');
        const out = join(base, 'result.json');
        mkdirSync(mountPoint);
        const child = await run(
          'unshare',
          [
            '-m',
            '--',
            process.execPath,
            '--import',
            'tsx',
            join(import.meta.dirname, 'pglite-outage-child.ts'),
            '--dir',
            mountPoint,
            '--out',
            out,
            '--copy-to',
            copy,
            '--total',
            String(TOTAL),
          ],
          {
            cwd: ROOT,
            maxBuffer: 16 * 1024 * 1024,
          },
        ).catch((error: { stdout?: string; stderr?: string; message: string }) => {
          throw new Error(`the writer process failed: ${error.message}\n${error.stdout ?? ''}\n${error.stderr ?? ''}`);
        });
        const result = JSON.parse(readFileSync(out, 'utf8')) as ChildResult;
        const { stats } = result;

        // Audit from this process: the writer is gone, its database is opened afresh.
        const store = await openStore({ backend: 'pglite', dataDir: copy });
        const rows = await store.client.query<{ unit_key: string }>(`SELECT unit_key FROM "${store.schema}".exposures`);
        await store.close();
        const stored = new Set(rows.map((r) => r.unit_key));
        const acknowledged = new Set(result.acknowledged);
        const droppedInBatches = Object.values(result.errors).reduce((a, b) => a + b, 0);

        console.log(
          `PGlite disk full (${result.phases.join(', ')}): accepted ${stats.accepted}, written ${stats.written}, dropped ${stats.dropped} ` +
            `(${droppedInBatches} after retries, ${stats.dropped - droppedInBatches} refused by the full buffer); stored ${stored.size}; ` +
            `slowest chunk of 1,000 writes ${result.slowestWriteMs.toFixed(1)} ms; batch errors ${JSON.stringify(result.errors)}; writer stderr: ${child.stderr.trim().slice(0, 300) || '(none)'}`,
        );
        // Every event is accounted for: acknowledged or dropped-and-counted.
        expect(stats.written + stats.dropped).toBe(TOTAL + 1);
        expect(acknowledged.size).toBe(stats.written);
        // The outage really happened, for the reason staged, and really cost events…
        expect(droppedInBatches).toBeGreaterThan(0);
        expect(Object.keys(result.errors).join('\n')).toMatch(/No space left on device/);
        // …but none that were acknowledged, nothing twice, and (PGlite rolls a failed batch back) nothing
        // that was not acknowledged either.
        for (const key of acknowledged) expect(stored.has(key)).toBe(true);
        expect(rows.length).toBe(stored.size);
        expect(stored.size).toBe(acknowledged.size);
        // After space was freed the store took writes again, and the store closed cleanly.
        expect(stored.has('after-restore')).toBe(true);
        expect(stored.has(`u${TOTAL - 1}`)).toBe(true);
        expect(result.closeError).toBeNull();
      },
    );
  },
);
