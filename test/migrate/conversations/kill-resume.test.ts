/**
 * A real interruption: `switchyard migrate conversations` runs as a child process on the machine's
 * PostgreSQL, is killed with SIGKILL mid-run (no chance to clean up), and is run again. The result
 * must equal an uninterrupted run on a copy of the same data, byte for byte, with every record
 * upgraded exactly once (the checkpoint commits with its batch).
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  RUN_LOCK_NAMESPACES,
  openLockSession,
  runConversationMigration,
  selectConversationMigration,
  type MigrationReport,
} from '../../../src/migrate/conversations/index.ts';
import { loadProject } from '../../../src/config/index.ts';
import { openPgClient } from '@switchyard/data';
import { waitFor } from '../../helpers/wait-for.ts';
import type { SqlClient } from '@switchyard/data';
import { PG_URL, checkpoint, dropSchema, dump, seed, uniqueSchema } from './helpers.ts';
import { needs } from '../../helpers/capabilities.ts';

const postgres = await needs('postgres');

const REPO = resolve(import.meta.dirname, '../../..');
const N = 20_000;

function cli(args: string[]): {
  child: ReturnType<typeof spawn>;
  result: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
} {
  const child = spawn(process.execPath, [join(REPO, 'bin/switchyard.mjs'), 'migrate', 'conversations', ...args], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const result = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>(
    (done) => {
      child.on('close', (code, signal) => done({ code, signal, stdout, stderr }));
    },
  );
  return { child, result };
}

describe.skipIf(postgres.skip)(
  postgres.title('migrate conversations killed with SIGKILL and resumed (PostgreSQL)'),
  () => {
    let client: SqlClient;
    const killed = uniqueSchema('conv_kill');
    const copy = uniqueSchema('conv_copy');
    const project = mkdtempSync(join(tmpdir(), 'sy-conv-proj-'));

    beforeAll(async () => {
      // A project holding only the settings and the real plan from this repository's rollouts/.
      mkdirSync(join(project, 'rollouts'));
      copyFileSync(join(REPO, 'switchyard.yaml'), join(project, 'switchyard.yaml'));
      copyFileSync(
        join(REPO, 'rollouts/conversation-schema-v2.yaml'),
        join(project, 'rollouts/conversation-schema-v2.yaml'),
      );
      client = openPgClient({ connectionString: PG_URL });
      await seed(client, killed, N);
      await seed(client, copy, N);
    });
    afterAll(async () => {
      await client.close();
      await dropSchema(killed);
      await dropSchema(copy);
      rmSync(project, { recursive: true, force: true });
    });

    /** Application names of the sessions holding this schema's run lock (pg_locks). */
    const lockHolders = async (): Promise<string[]> =>
      (
        await client.query<{ app: string }>(
          `SELECT a.application_name AS app FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
          AND l.classid = $1::int::oid AND l.objid = hashtext($2)::oid`,
          [RUN_LOCK_NAMESPACES.conversations, `${killed}:conversation-schema-v2`],
        )
      ).map((r) => r.app);

    it('resumes where the killed run stopped and ends byte-identical to an uninterrupted run', async () => {
      const args = [
        '--root',
        project,
        '--database-url',
        PG_URL,
        '--schema',
        killed,
        '--batch-size',
        '250',
        '--pause-ms',
        '100',
        '--format',
        'json',
      ];
      const first = cli(args);
      // Wait until a few batches are committed, then kill without warning.
      const progress = await waitFor(
        '2,000 rows scanned in the checkpoint',
        async () => {
          if (first.child.exitCode !== null)
            throw new Error(`the run ended before it could be killed: ${(await first.result).stderr}`);
          const p = await checkpoint(client, killed, 'conversation-schema-v2').catch(() => undefined);
          return p && Number(p.scanned) >= 2000 ? p : undefined;
        },
        90_000,
      );
      // The running process holds the run lock on its own connection: a second process, even with
      // --restart, is refused and the checkpoint the first is advancing is not reset.
      expect(await lockHolders()).toEqual(['switchyard migrate conversations']);
      const second = await cli([...args, '--restart']).result;
      expect(second.code).toBe(1);
      expect(second.stderr).toContain('E_MIGRATE_RUNNING');
      expect(second.stderr).toContain("application 'switchyard migrate conversations'");
      expect(second.stdout).toBe('');
      const afterSecond = await checkpoint(client, killed, 'conversation-schema-v2');
      expect(String(afterSecond?.last_id) >= String(progress.last_id)).toBe(true); // not reset to the start (NULL)
      first.child.kill('SIGKILL');
      const ended = await first.result;
      expect(ended.signal).toBe('SIGKILL');
      expect(ended.stdout).toBe(''); // it never got to report: a real mid-run kill

      const atKill = await checkpoint(client, killed, 'conversation-schema-v2');
      expect(atKill?.status).toBe('running');
      const doneAtKill = Number(atKill?.upgraded);
      expect(doneAtKill).toBeGreaterThanOrEqual(2000);
      expect(doneAtKill).toBeLessThan(N);
      // The checkpoint and the data agree: exactly the records up to last_id are upgraded.
      const v2 = await client.query<{ n: string }>(
        `SELECT count(*) AS n FROM "${killed}".conversations WHERE schema_version = 2`,
      );
      expect(Number(v2[0]?.n)).toBe(doneAtKill);
      const behind = await client.query<{ n: string }>(
        `SELECT count(*) AS n FROM "${killed}".conversations WHERE id <= $1 AND id LIKE 'c-%' AND schema_version IS DISTINCT FROM 2`,
        [atKill?.last_id],
      );
      expect(Number(behind[0]?.n)).toBe(0);

      // The killed process's lock ends with its connection once the server notices it closed.
      await waitFor("the killed run's lock to end", async () => (await lockHolders()).length === 0, 30_000);
      const resumed = await cli(args.filter((a, i) => a !== '--pause-ms' && args[i - 1] !== '--pause-ms')).result;
      expect(resumed.code).toBe(1); // two records cannot be upgraded (reported, kept): exit 1 by design
      const report = JSON.parse(resumed.stdout) as MigrationReport;
      expect(report.resumed?.after).toBe(atKill?.last_id);
      expect(report.complete).toBe(true);
      // Every upgradable record upgraded exactly once across both processes; none twice, none missed.
      expect(report.cumulative.upgraded).toBe(N + 1);
      expect(report.cumulative.scanned).toBe(N + 3);
      expect(report.remaining).toBe(2);

      const loaded = await loadProject(project);
      const plan = selectConversationMigration(loaded.value as NonNullable<typeof loaded.value>);
      if (!plan.ok) throw new Error(plan.message);
      const lockSession = await openLockSession(PG_URL, 'conversations');
      const uninterrupted = await runConversationMigration(client, {
        migration: plan.migration,
        schema: copy,
        lock: lockSession,
      }).finally(() => lockSession.close());
      expect(uninterrupted.counters.upgraded).toBe(N + 1);
      const a = await dump(client, killed);
      const b = await dump(client, copy);
      expect(a.length).toBe(N + 3);
      expect(a).toEqual(b);
      console.log(
        `[kill-resume] killed after ${doneAtKill} of ${N + 1} upgrades; resumed run: ${report.counters.upgraded} more in ${report.durationMs} ms (${report.recordsPerSecond} records/s); ${a.length} records identical to the uninterrupted copy`,
      );
    });
  },
);
