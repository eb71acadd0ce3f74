/**
 * The writer side of the PGlite outage test, run as its own process inside a private mount
 * namespace (`unshare -m`) so it can fill its own disk without touching the host: the data
 * directory is a small tmpfs, and for the outage a ballast file takes every free byte (a full
 * disk: PostgreSQL's writes fail with ENOSPC), then is deleted.
 *
 * It offers 100,000 events through the store's batched sink while that happens, closes the store,
 * copies the database to `--copy-to` (the tmpfs dies with the namespace) and writes a JSON result
 * (sink stats, acknowledged unit keys, errors seen) to `--out`. The parent audits the copy. Usage:
 *   unshare -m -- node --import tsx pglite-outage-child.ts --dir <dir> --out <file> --copy-to <dir>
 */
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openStore, type StampedEvent } from '../../src/store/index.ts';
import { pace } from '../../../../test/helpers/wait-for.ts';

const { values } = parseArgs({
  options: {
    dir: { type: 'string' },
    out: { type: 'string' },
    'copy-to': { type: 'string' },
    total: { type: 'string', default: '100000' },
  },
});
const dir = values.dir ?? '';
const out = values.out ?? '';
const copyTo = values['copy-to'] ?? '';
const total = Number(values.total);
if (!dir || !out || !copyTo || !Number.isInteger(total / 1000)) {
  process.stderr.write('usage: --dir <dir> --out <file> --copy-to <dir> [--total <multiple of 1000>]\n');
  process.exit(2);
}
const mount = (...args: string[]) => execFileSync('mount', args, { stdio: ['ignore', 'pipe', 'pipe'] });

// Private to this namespace: nothing below is visible outside this process tree. 128 MB holds the
// database after initdb (~40 MB of it WAL) and the 100,000 events with room to spare.
const ballast = join(dir, 'ballast');
mount('-t', 'tmpfs', '-o', 'size=128m', 'tmpfs', dir);

const store = await openStore({ backend: 'pglite', dataDir: join(dir, 'events') });
const acknowledged: string[] = [];
const errors = new Map<string, number>();
const sink = store.createSink({
  maxBuffer: 20_000,
  batchSize: 2000,
  maxAttempts: 4,
  retryDelayMs: 50,
  maxRetryDelayMs: 400,
  writeTimeoutMs: 10_000,
  onBatch: (batch: StampedEvent[], outcome, error) => {
    if (outcome === 'written') for (const item of batch) acknowledged.push((item.event as { unitKey: string }).unitKey);
    else errors.set(error ?? '?', (errors.get(error ?? '?') ?? 0) + batch.length);
  },
});

const phases: string[] = [];
const chunks = total / 1000;
let slowestWriteMs = 0;
for (let chunk = 0; chunk < chunks; chunk++) {
  if (chunk === Math.floor(chunks * 0.3)) {
    // Fill every free byte: the next write that needs space gets ENOSPC.
    try {
      execFileSync('dd', ['if=/dev/zero', `of=${ballast}`, 'bs=64k'], { stdio: 'ignore' });
    } catch {
      // dd exits 1 when the device is full — which is the point.
    }
    phases.push(`disk full at chunk ${chunk}`);
  }
  if (chunk === Math.floor(chunks * 0.7)) {
    rmSync(ballast, { force: true });
    phases.push(`space freed at chunk ${chunk}`);
  }
  const started = performance.now();
  for (let i = 0; i < 1000; i++) {
    const n = chunk * 1000 + i;
    sink.write({
      type: 'exposure',
      time: 1_700_000_000_000 + n,
      serial: 3,
      env: 'production',
      subject: 'canary',
      key: 'rag',
      variant: n % 2 ? 'candidate' : 'control',
      unitKey: `u${n}`,
    });
  }
  slowestWriteMs = Math.max(slowestWriteMs, performance.now() - started);
  await pace(40); // the offered event rate
}
await sink.flush();
sink.write({
  type: 'exposure',
  time: 1_700_000_200_000,
  serial: 3,
  env: 'production',
  subject: 'canary',
  key: 'rag',
  variant: 'control',
  unitKey: 'after-restore',
});
await sink.flush();
const stats = sink.stats();
let closeError: string | null = null;
try {
  await store.close();
} catch (error) {
  closeError = (error as Error).message;
}
// The tmpfs dies with this namespace: copy the closed database out for the parent's audit.
execFileSync('cp', ['-a', join(dir, 'events'), copyTo]);
writeFileSync(
  out,
  JSON.stringify({ stats, acknowledged, errors: Object.fromEntries(errors), phases, slowestWriteMs, closeError }),
);
