/**
 * A real crash on an application's own table: `switchyard migrate conversations` runs as a child
 * process over a plan whose `storage:` names the test's table, is killed with SIGKILL mid-run, and
 * is run again. On PostgreSQL and on PGlite on disk (the CLI's --data-dir). The resumed run must
 * start after the last committed batch, and every record must end upgraded exactly once.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openPgClient, openPgliteClient, quoteIdent, type SqlClient, type TableStorage } from '@switchyard/data';
import type { MigrationReport } from '../../../src/migrate/conversations/index.ts';
import { PG_URL, checkpoint, dropSchema, uniqueSchema } from './helpers.ts';
import { VERSION_COLUMN, VERSION_IN_JSON, expectedAfter, type AppTable } from './user-table-fixtures.ts';
import { needs } from '../../helpers/capabilities.ts';
import { waitFor } from '../../helpers/wait-for.ts';

const postgres = await needs('postgres');

const REPO = resolve(import.meta.dirname, '../../..');
const N = 8000;
const ID = 'conversation-schema-v2';

function cli(args: string[]) {
  const child = spawn(process.execPath, [join(REPO, 'bin/switchyard.mjs'), 'migrate', 'conversations', ...args], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const result = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>(
    (done) => child.on('close', (code, signal) => done({ code, signal, stdout, stderr })),
  );
  return { child, result, stderr: () => stderr };
}

/** A project holding the settings and this repository's plan, with a `storage:` block added. */
function projectWith(storage: TableStorage): string {
  const dir = mkdtempSync(join(tmpdir(), 'sy-conv-user-'));
  mkdirSync(join(dir, 'rollouts'));
  copyFileSync(join(REPO, 'switchyard.yaml'), join(dir, 'switchyard.yaml'));
  const plan = readFileSync(join(REPO, `rollouts/${ID}.yaml`), 'utf8');
  const block = Object.entries(storage)
    .map(([k, v]) => `  ${k}: ${String(v)}`)
    .join('\n');
  writeFileSync(join(dir, `rollouts/${ID}.yaml`), `${plan.trimEnd()}\nstorage:\n${block}\n`);
  return dir;
}

/** Upgraded rows and how the checkpoint splits them: every key up to `last_id` upgraded, none after. */
async function checkSplit(client: SqlClient, table: AppTable, app: string, lastId: string): Promise<number> {
  const rows = await table.read(client, app);
  const last = [...Array(N).keys()].findIndex((i) => table.keyOf(i) === lastId);
  expect(last).toBeGreaterThan(0);
  let upgraded = 0;
  for (let i = 0; i < N; i++) {
    const v = rows.get(table.keyOf(i))?.schemaVersion;
    if (i <= last) expect(v).toBe(2);
    else expect(v).not.toBe(2);
    if (v === 2) upgraded++;
  }
  return upgraded;
}

async function expectAllUpgraded(client: SqlClient, table: AppTable, app: string): Promise<void> {
  const rows = await table.read(client, app);
  expect(rows.size).toBe(N);
  for (let i = 0; i < N; i++) expect(rows.get(table.keyOf(i))).toEqual(expectedAfter(i));
}

const cleanup: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c();
});

describe.skipIf(postgres.skip)(postgres.title('storage: killed with SIGKILL and resumed (PostgreSQL)'), () => {
  it('resumes after the last committed batch; every record upgraded exactly once', async () => {
    const table = VERSION_COLUMN;
    const app = uniqueSchema('app_kill');
    const schema = uniqueSchema('conv_kill_cp');
    const client = openPgClient({ connectionString: PG_URL });
    cleanup.push(
      () => client.close(),
      () => dropSchema(app),
      () => dropSchema(schema),
    );
    await table.create(client, app);
    await table.seed(client, app, N);
    const project = projectWith(table.storage(app));
    cleanup.push(() => rmSync(project, { recursive: true, force: true }));
    const args = ['--root', project, '--database-url', PG_URL, '--schema', schema, '--batch-size', '100'];

    const first = cli([...args, '--pause-ms', '50', '--format', 'json']);
    await waitFor(
      '1,000 rows scanned in the checkpoint',
      async () => {
        if (first.child.exitCode !== null) throw new Error(`ended before the kill: ${(await first.result).stderr}`);
        const p = await checkpoint(client, schema, ID).catch(() => undefined);
        return p && Number(p.scanned) >= 1000 ? p : undefined;
      },
      90_000,
    );
    first.child.kill('SIGKILL');
    const ended = await first.result;
    expect(ended.signal).toBe('SIGKILL');
    expect(ended.stdout).toBe('');

    const atKill = await checkpoint(client, schema, ID);
    expect(atKill?.status).toBe('running');
    const upgradedAtKill = await checkSplit(client, table, app, String(atKill?.last_id));
    expect(upgradedAtKill).toBe(Number(atKill?.upgraded));
    expect(upgradedAtKill).toBeLessThan(N);

    // The killed process's run lock ends with its connection once the server notices; until
    // then a run is refused with E_MIGRATE_RUNNING, so wait for that condition to clear.
    let resumed: Awaited<ReturnType<typeof cli>['result']>;
    for (;;) {
      resumed = await cli([...args, '--format', 'json', '--quiet']).result;
      if (!resumed.stderr.includes('E_MIGRATE_RUNNING')) break;
    }
    expect(resumed.code).toBe(0);
    const report = JSON.parse(resumed.stdout) as MigrationReport;
    expect(report.table).toBe(`${app}.chat_threads`);
    expect(report.resumed?.after).toBe(atKill?.last_id);
    expect(report.complete).toBe(true);
    expect(report.cumulative.upgraded).toBe(N);
    expect(report.counters.upgraded).toBe(N - upgradedAtKill);
    await expectAllUpgraded(client, table, app);
    console.log(
      `[user-table kill-resume, postgres] killed after ${upgradedAtKill} of ${N}; resumed run upgraded ${report.counters.upgraded} in ${report.durationMs} ms`,
    );
  });
});

describe('storage: killed with SIGKILL and resumed (PGlite on disk)', () => {
  it('resumes after the last committed batch; every record upgraded exactly once', async () => {
    const table = VERSION_IN_JSON;
    const dataDir = mkdtempSync(join(tmpdir(), 'sy-conv-user-pglite-'));
    cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const seedClient = await openPgliteClient(dataDir);
    await table.create(seedClient, 'app');
    await table.seed(seedClient, 'app', N);
    await seedClient.close();
    const project = projectWith(table.storage('app'));
    cleanup.push(() => rmSync(project, { recursive: true, force: true }));
    const args = ['--root', project, '--data-dir', dataDir, '--batch-size', '100'];

    // PGlite is one process: the test cannot read the database while the run holds it, so it
    // watches the run's progress lines (one at the start, then one every 2 s off a terminal;
    // each counts committed batches only) and kills after the first that shows upgrades.
    const first = cli([...args, '--pause-ms', '50', '--format', 'json']);
    await waitFor(
      'a progress line that shows upgrades',
      async () => {
        const ended = first.child.exitCode !== null;
        const seen = [...first.stderr().matchAll(/upgraded ([\d,]+)/g)].map((m) => Number(m[1]?.replace(/,/g, '')));
        if (seen.some((n) => n > 0)) return true;
        if (ended) throw new Error(`ended before the kill: ${(await first.result).stderr}`);
        return false;
      },
      90_000,
    );
    first.child.kill('SIGKILL');
    const ended = await first.result;
    expect(ended.signal).toBe('SIGKILL');
    expect(ended.stdout).toBe('');

    const client = await openPgliteClient(dataDir);
    const atKill = await checkpoint(client, 'switchyard', ID);
    expect(atKill?.status).toBe('running');
    const upgradedAtKill = await checkSplit(client, table, 'app', String(atKill?.last_id));
    expect(upgradedAtKill).toBe(Number(atKill?.upgraded));
    expect(upgradedAtKill).toBeLessThan(N);
    await client.close();

    const resumed = await cli([...args, '--format', 'json', '--quiet']).result;
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    const report = JSON.parse(resumed.stdout) as MigrationReport;
    expect(report.resumed?.after).toBe(atKill?.last_id);
    expect(report.cumulative.upgraded).toBe(N);
    expect(report.counters.upgraded).toBe(N - upgradedAtKill);

    const after = await openPgliteClient(dataDir);
    try {
      await expectAllUpgraded(after, table, 'app');
      // Exactly once: the revision column went up by one on every row (1 → 2), never twice.
      const revs = await after.query<{ rev: number; n: string | number }>(
        `SELECT rev, count(*) AS n FROM ${quoteIdent('app')}.legacy_chats GROUP BY rev`,
      );
      expect(revs.map((r) => ({ rev: r.rev, n: Number(r.n) }))).toEqual([{ rev: 2, n: N }]);
      console.log(
        `[user-table kill-resume, pglite] killed after ${upgradedAtKill} of ${N}; resumed run upgraded ${report.counters.upgraded} in ${report.durationMs} ms`,
      );
    } finally {
      await after.close();
    }
  });
});
