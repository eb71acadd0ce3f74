import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.ts';
import { acquireRunLock } from '../../../src/migrate/shared/run-lock.ts';
import { openPgClient } from '../../../src/store/pg-client.ts';
import { openVectorDatabase } from '../../../src/vectors/index.ts';
import { PG_URL, dropSchema, uniqueSchema } from '../../store/fixtures.ts';
import { MIGRATION, writeProject } from './project.ts';
import { backoffDelay } from '../../../src/migrate/shared/backoff.ts';
import { createProgressReporter, formatDuration, formatProgress } from '../../../src/migrate/shared/progress.ts';
import { estimateTokens, RateLimiter, splitForBudget } from '../../../src/migrate/shared/rate-limit.ts';
import { backfillAllowed, nextPhase } from '../../../src/migrate/embeddings/index.ts';

describe('backoff', () => {
  it('grows exponentially under full jitter, is capped, and never undercuts Retry-After', () => {
    const top = (attempt: number) => backoffDelay(attempt, undefined, { baseMs: 100, maxMs: 1000, random: () => 0.999999 });
    expect([0, 1, 2, 3, 4, 10].map(top)).toEqual([99, 199, 399, 799, 999, 999]);
    expect(backoffDelay(3, undefined, { random: () => 0 })).toBe(0);
    expect(backoffDelay(0, 5000, { baseMs: 100, random: () => 0.5 })).toBe(5000);
    expect(backoffDelay(0, 10, { baseMs: 100, random: () => 0.5 })).toBe(50);
  });
});

describe('rate limiter', () => {
  it('spaces requests and tokens to their per-minute budgets', () => {
    let now = 0;
    const requests = new RateLimiter({ requestsPerMinute: 600, now: () => now });
    expect([requests.reserve(), requests.reserve(), requests.reserve()]).toEqual([0, 100, 200]);
    now = 1000;
    expect(requests.reserve()).toBe(0);
    const tokens = new RateLimiter({ tokensPerMinute: 60_000, now: () => 0 }); // 1 token per ms
    expect([tokens.reserve(500), tokens.reserve(500), tokens.reserve(10)]).toEqual([0, 500, 1000]);
    expect(new RateLimiter().reserve(1e9)).toBe(0);
    expect(estimateTokens(['abcd', 'abcdefgh', 'a'])).toBe(4);
  });
});

describe('rate limiter: usage correction and requests above the budget', () => {
  it('moves the token schedule by what the API reported instead of the characters/4 estimate', () => {
    let now = 0;
    const tokens = new RateLimiter({ tokensPerMinute: 600, now: () => now }); // 100 ms per token
    expect(tokens.reserve(10)).toBe(0);
    // CJK text: 10 tokens estimated, 40 counted → the next request waits for 40 tokens, not 10.
    tokens.settle(10, 40);
    expect(tokens.reserve(10)).toBe(4000);
    // Overestimated: the difference is given back.
    tokens.settle(10, 5);
    expect(tokens.reserve(0)).toBe(4500);
    // Nothing reported: the estimate stands.
    tokens.settle(10, 0);
    expect(tokens.reserve(0)).toBe(4500);
    now = 0;
    expect(new RateLimiter({ now: () => now }).tokenBudget).toBe(Infinity);
  });

  it('splits a batch estimated above the per-minute budget into consecutive groups that fit', () => {
    const texts = Array.from({ length: 10 }, (_, i) => `${'x'.repeat(36)}${i}`.padEnd(40, '.')); // 10 tokens each
    expect(splitForBudget(texts, 1000)).toEqual([texts]);
    const groups = splitForBudget(texts, 30);
    expect(groups.flat()).toEqual(texts);
    expect(groups.every((g) => estimateTokens(g) <= 30)).toBe(true);
    expect(groups.length).toBeGreaterThan(3);
    // One text above the budget cannot be split: it goes alone (and waits for a whole budget).
    expect(splitForBudget(['y'.repeat(400), 'z'], 50)).toEqual([['y'.repeat(400)], ['z']]);
  });
});

describe('progress', () => {
  it('formats a bar with rate and ETA, counting resumed work in the bar but not in the rate', () => {
    expect(formatProgress({ label: 'docs', done: 300, total: 700, resumed: 300, elapsedMs: 3000, unit: 'docs', notes: { 'dead letters': 2 } })).toBe(
      'docs [##############..........] 60% 600/1,000 docs · 100 docs/s · ETA 4s · dead letters 2',
    );
    expect(formatProgress({ label: 'x', done: 10, total: 10, elapsedMs: 65_000 })).toContain('100% 10/10 items · 0.2 items/s · 1m05s elapsed');
    expect(formatDuration(3_700_000)).toBe('1h01m');
  });

  it('rewrites one line on a terminal and prints every few seconds otherwise', () => {
    let now = 0;
    const tty: string[] = [];
    const t = createProgressReporter({ label: 'l', write: (s) => tty.push(s), tty: true, now: () => now });
    t.update(1, 10);
    now = 50;
    t.update(2, 10); // within 100 ms: not printed
    now = 200;
    t.update(3, 10);
    t.finish();
    expect(tty.length).toBe(4);
    expect(tty.every((s, i) => (i < 3 ? s.startsWith('\r') : s === '\n'))).toBe(true);
    const log: string[] = [];
    const l = createProgressReporter({ label: 'l', write: (s) => log.push(s), tty: false, intervalMs: 5000, now: () => now });
    for (now = 0; now < 12_000; now += 1000) l.update(now / 1000, 12);
    l.finish();
    expect(log.length).toBe(4); // 0 s, 5 s, 10 s, final
    expect(log.every((s) => s.endsWith('\n') && !s.includes('\r'))).toBe(true);
    const quiet: string[] = [];
    const q = createProgressReporter({ label: 'l', write: (s) => quiet.push(s), tty: false, quiet: true });
    q.update(1, 1);
    q.finish();
    expect(quiet).toEqual([]);
  });
});

describe('phase rules', () => {
  it('backfills only while every writer dual-writes and the old index is still the fallback', () => {
    expect(['dual-write', 'backfill', 'dual-read', 'cutover', 'complete'].map((p) => backfillAllowed(p as 'backfill')?.code ?? 'ok')).toEqual([
      'E_MIGRATE_PHASE',
      'ok',
      'ok',
      'ok',
      'E_MIGRATE_PHASE',
    ]);
    expect(nextPhase('cutover')).toBe('complete');
    expect(nextPhase('complete')).toBeUndefined();
  });
});

describe('single-runner lock', () => {
  it('PGlite: a second run on the same database in this process is refused until the first releases', async () => {
    const store = await openVectorDatabase({ backend: 'pglite' });
    try {
      const target = { client: store.client, schema: store.schema, migration: 'embeddings:m:docs-large' };
      const first = await acquireRunLock(target);
      await expect(acquireRunLock(target)).rejects.toMatchObject({ code: 'E_MIGRATE_RUNNING' });
      // Another migration (or another target index) is independent.
      await (await acquireRunLock({ ...target, migration: 'embeddings:m:docs-small' })).release();
      await first.release();
      await (await acquireRunLock(target)).release();
    } finally {
      await store.close();
    }
  });

  it('PostgreSQL: a session advisory lock per (schema, migration); the CLI says E_MIGRATE_RUNNING while another run holds it', async () => {
    const schema = uniqueSchema('emblock');
    const holderClient = openPgClient({ connectionString: PG_URL, max: 1 });
    const otherClient = openPgClient({ connectionString: PG_URL, max: 1 });
    const root = writeProject({ phase: 'backfill' });
    try {
      const migration = `embeddings:${MIGRATION}:docs-large`;
      const held = await acquireRunLock({ client: holderClient, connectionString: PG_URL, schema, migration });
      // A different client (as another process would be) is refused by the server-side lock.
      await expect(acquireRunLock({ client: otherClient, connectionString: PG_URL, schema, migration })).rejects.toMatchObject({ code: 'E_MIGRATE_RUNNING' });
      // The same migration on another schema is another lock.
      await (await acquireRunLock({ client: otherClient, connectionString: PG_URL, schema: `${schema}_b`, migration })).release();
      let stdout = '';
      let stderr = '';
      const code = await main(['migrate', 'embeddings', MIGRATION, '--root', root, '--quiet', '--database-url', PG_URL, '--schema', schema], {
        stdout: (t) => (stdout += `${t}\n`),
        stderr: (t) => (stderr += `${t}\n`),
        cwd: root,
        env: { PATH: process.env.PATH },
      });
      expect(code).toBe(1);
      expect(stderr).toContain(`switchyard migrate embeddings: E_MIGRATE_RUNNING another run of ${migration} is in progress on schema ${schema}`);
      expect(stdout).toBe('');
      await held.release();
      const again = await acquireRunLock({ client: otherClient, connectionString: PG_URL, schema, migration });
      await again.release();
    } finally {
      await holderClient.close();
      await otherClient.close();
      await dropSchema(schema);
      rmSync(root, { recursive: true, force: true });
    }
  });
});
