/**
 * `npm run bench:migrate -- --conversations [--records 100000] [--batch-size 500]
 *  [--backends pglite,postgres] [--database-url postgres://…]`: the conversation schema migration
 * (rollouts/conversation-schema-v2.yaml, v1 → v2) over N seeded v1 records on embedded PGlite (a
 * temporary data directory) and on the machine's PostgreSQL (a unique schema, dropped after).
 *
 * Each step — seed, dry run, full run, second run, check — is a process of its own
 * (conversations-phase.ts), so each peak RSS is that step's own and PGlite reopens its data
 * directory like a real second invocation would. Throughput is the runner's own figure (records
 * examined per second of the runner's wall time); the check fails the bench if any record is not at
 * v2, lost an unknown field, or has a message without `model`/`timestamp`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openPgClient } from '@switchyard/data';

export interface ConversationBenchOptions {
  records: number;
  batchSize: string | undefined;
  backends: string[];
  databaseUrl: string;
}

interface Phase {
  backend: string;
  phase: string;
  peakRssMb: number;
  [figure: string]: unknown;
}

const root = fileURLToPath(new URL('../..', import.meta.url));

function phase(args: string[]): Promise<Phase> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(new URL('./conversations-phase.ts', import.meta.url)), ...args],
      {
        cwd: root,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(out.trim().split('\n').at(-1)!) as Phase)
        : reject(new Error(`${args.join(' ')} failed (exit ${code})`)),
    );
  });
}

/** Runs the bench and returns the printed table (markdown). */
export async function conversationBench(options: ConversationBenchOptions): Promise<string> {
  const rows: string[] = [];
  const notes: string[] = [];
  for (const backend of options.backends) {
    const dir = backend === 'pglite' ? mkdtempSync(join(tmpdir(), 'sy-bench-conv-')) : undefined;
    const schema = `sy_bench_conv_${process.pid}`;
    const base = [
      '--backend',
      backend,
      '--schema',
      schema,
      '--records',
      String(options.records),
      '--database-url',
      options.databaseUrl,
    ];
    if (dir) base.push('--data-dir', dir);
    if (options.batchSize) base.push('--batch-size', options.batchSize);
    try {
      process.stderr.write(
        `bench:migrate --conversations: ${backend}, seeding ${options.records.toLocaleString('en-US')} v1 records…\n`,
      );
      const seed = await phase([...base, '--phase', 'seed']);
      const runs: Phase[] = [];
      for (const p of ['dry', 'full', 'second']) {
        process.stderr.write(`bench:migrate --conversations: ${backend}, ${p} run…\n`);
        runs.push(await phase([...base, '--phase', p]));
      }
      const check = await phase([...base, '--phase', 'check']);
      const byVersion = check.byVersion as Record<string, number>;
      const at2 = byVersion['2'] ?? 0;
      if (
        at2 !== options.records ||
        (check.messagesWithoutStamp as number) !== 0 ||
        (runs[2]!.upgraded as number) !== 0
      ) {
        throw new Error(`${backend}: check failed: ${JSON.stringify({ check, second: runs[2] })}`);
      }
      const expectedExtra = Math.ceil(options.records / 5);
      if (check.extraKept !== expectedExtra)
        throw new Error(
          `${backend}: ${String(check.extraKept)} records kept their unknown field, expected ${expectedExtra}`,
        );
      for (const r of runs) {
        const runnerMs = r.runnerMs as number;
        const scanned = r.scanned as number;
        rows.push(
          `| ${backend} | ${r.phase === 'dry' ? 'dry run' : r.phase === 'full' ? 'full run' : 'second run'} | ${scanned.toLocaleString('en-US')} | ${(r.upgraded as number).toLocaleString('en-US')} | ${
            scanned > 0 ? Math.round((scanned * 1000) / runnerMs).toLocaleString('en-US') : '—'
          } | ${(runnerMs / 1000).toFixed(1)} s | ${String(r.batches)} | ${r.peakRssMb.toFixed(0)} MB |`,
        );
      }
      notes.push(
        `${backend}: seeded ${(seed.messages as number).toLocaleString('en-US')} messages in ${((seed.seedMs as number) / 1000).toFixed(1)} s (not timed above; table ${((seed.tableBytes as number) / 1024 / 1024).toFixed(0)} MB before the run, seed peak RSS ${seed.peakRssMb.toFixed(0)} MB); after: ${at2.toLocaleString('en-US')} records at v2, ${String(check.extraKept)} unknown \`extra\` fields kept, 0 messages without model/timestamp`,
      );
    } finally {
      if (dir) rmSync(dir, { recursive: true, force: true });
      if (backend === 'postgres') {
        const pg = openPgClient({ connectionString: options.databaseUrl, max: 1 });
        await pg.exec(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => {});
        await pg.close();
      }
    }
  }
  return [
    `bench:migrate --conversations — conversation-schema-v2 (v1 → v2) over ${options.records.toLocaleString('en-US')} seeded v1 records (4–12 messages each, every 5th with unknown fields), batch ${options.batchSize ?? 'from the plan (500)'}`,
    '',
    '| backend | run | records examined | upgraded (dry run: would be) | records/s | wall (runner) | batches | peak RSS (step) |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    ...notes,
    `machine: ${cpus().length} cores, Node ${process.version}`,
  ].join('\n');
}
