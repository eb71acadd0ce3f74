import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.ts';
import { startModelServer, type ModelServer } from '../../../src/eval/offline/server.ts';
import { checkpointQueries } from '../../../src/migrate/embeddings/checkpoint.ts';
import {
  acquireRunLock,
  openLockSession,
  RUN_LOCK_NAMESPACES,
  takeRunLock,
} from '../../../src/migrate/shared/run-lock.ts';
import { openVectorDatabase } from '@switchyard/data';
import { createEmbedder } from '../../../src/migrate/embeddings/embedder.ts';
import { FROM, SETTINGS, TO, docId, seedDocuments, testPlan } from './corpus.ts';
import { startProxy } from './proxy.ts';
import { PG_URL, dropSchema, uniqueSchema } from '../../../packages/data/test/store/fixtures.ts';
import { MIGRATION, writeProject } from './project.ts';
import { backoffDelay } from '../../../src/migrate/shared/backoff.ts';
import { createProgressReporter, formatDuration, formatProgress } from '../../../src/migrate/shared/progress.ts';
import { estimateTokens, RateLimiter, splitForBudget } from '../../../src/migrate/shared/rate-limit.ts';
import { backfillAllowed, nextPhase, runBackfill } from '../../../src/migrate/embeddings/index.ts';
import { needs } from '../../helpers/capabilities.ts';
import { waitFor } from '../../helpers/wait-for.ts';

const postgres = await needs('postgres');

describe('backoff', () => {
  it('grows exponentially under full jitter, is capped, and never undercuts Retry-After', () => {
    const top = (attempt: number) => backoffDelay(attempt, { baseMs: 100, maxMs: 1000, random: () => 0.999999 });
    expect([0, 1, 2, 3, 4, 10].map(top)).toEqual([99, 199, 399, 799, 999, 999]);
    expect(backoffDelay(3, { random: () => 0 })).toBe(0);
    expect(backoffDelay(0, { baseMs: 100, retryAfterMs: 5000, random: () => 0.5 })).toBe(5000);
    expect(backoffDelay(0, { baseMs: 100, retryAfterMs: 10, random: () => 0.5 })).toBe(50);
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
    expect(
      formatProgress({
        label: 'docs',
        done: 300,
        total: 700,
        resumed: 300,
        elapsedMs: 3000,
        unit: 'docs',
        notes: { 'dead letters': 2 },
      }),
    ).toBe('docs [##############..........] 60% 600/1,000 docs · 100 docs/s · ETA 4s · dead letters 2');
    expect(formatProgress({ label: 'x', done: 10, total: 10, elapsedMs: 65_000 })).toContain(
      '100% 10/10 items · 0.2 items/s · 1m05s elapsed',
    );
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
    const l = createProgressReporter({
      label: 'l',
      write: (s) => log.push(s),
      tty: false,
      intervalMs: 5000,
      now: () => now,
    });
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
    expect(
      ['dual-write', 'backfill', 'dual-read', 'cutover', 'complete'].map(
        (p) => backfillAllowed(p as 'backfill')?.code ?? 'ok',
      ),
    ).toEqual(['E_MIGRATE_PHASE', 'ok', 'ok', 'ok', 'E_MIGRATE_PHASE']);
    expect(nextPhase('cutover')).toBe('complete');
    expect(nextPhase('complete')).toBeUndefined();
  });
});

describe('single-runner lock (shared by both runners)', () => {
  let server: ModelServer;
  beforeAll(async () => {
    server = await startModelServer();
  });
  afterAll(async () => {
    await server?.close();
  });
  const embedderFor = (baseURL: string) => createEmbedder({ baseURL, apiKey: 'switchyard-offline' });
  const small = { ...SETTINGS, concurrency: 1 };

  it('PGlite: a second run in this process is refused until the first releases; runBackfill takes the lock itself; kinds never collide', async () => {
    const store = await openVectorDatabase({ backend: 'pglite' });
    try {
      await seedDocuments(store, 30);
      const target = { kind: 'embeddings' as const, schema: store.schema, migration: `${MIGRATION}:${TO.index}` };
      const first = await acquireRunLock(store.client, target);
      const refused = await acquireRunLock(store.client, target).then(
        () => null,
        (e: unknown) => e,
      );
      expect(refused).toMatchObject({ code: 'E_MIGRATE_RUNNING' });
      expect((refused as Error).message).toContain('in this process');
      // Another migration (or target index) is independent; so is the other runner kind with the very same name.
      await (await acquireRunLock(store.client, { ...target, migration: `${MIGRATION}:${FROM.index}` })).release();
      await (await acquireRunLock(store.client, { ...target, kind: 'conversations' })).release();
      // The library call (no lock option) takes the lock on its own: refused before anything is written.
      const plan = testPlan({ migration: MIGRATION });
      await expect(
        runBackfill({ store, embedder: embedderFor(server.baseUrl), plan, settings: small }),
      ).rejects.toMatchObject({ code: 'E_MIGRATE_RUNNING' });
      expect(await checkpointQueries(store).load(store.client, MIGRATION, TO.index)).toBeUndefined();
      await first.release();
      await first.release(); // idempotent
      const report = await runBackfill({ store, embedder: embedderFor(server.baseUrl), plan, settings: small });
      expect(report).toMatchObject({ status: 'complete', embedded: 30 });
      // Released at the end of the run.
      await (await acquireRunLock(store.client, target)).release();
    } finally {
      await store.close();
    }
  });

  it.skipIf(postgres.skip)(
    postgres.title(
      'PostgreSQL: an advisory lock per (kind, schema, migration) on a connection of its own; E_MIGRATE_RUNNING names the holder, in the library and the CLI',
    ),
    async () => {
      const schema = uniqueSchema('emblock');
      const store = await openVectorDatabase({ backend: 'postgres', connectionString: PG_URL, schema });
      const holder = await openLockSession(PG_URL, 'embeddings');
      const root = writeProject({ phase: 'backfill' });
      try {
        const migration = `${MIGRATION}:${TO.index}`;
        const held = await acquireRunLock(holder, { kind: 'embeddings', schema, migration });
        // Another connection (as another process would be) is refused by the server-side lock, naming the holder.
        const refused = await takeRunLock(
          store.client,
          { connectionString: PG_URL },
          { kind: 'embeddings', schema, migration },
        ).then(
          () => null,
          (e: unknown) => e,
        );
        expect(refused).toMatchObject({ code: 'E_MIGRATE_RUNNING' });
        expect((refused as Error).message).toContain("application 'switchyard migrate embeddings'");
        // The same name under the other kind, or on another schema, is another lock.
        const conv = await takeRunLock(
          store.client,
          { connectionString: PG_URL },
          { kind: 'conversations', schema, migration },
        );
        const namespaces = await store.client.query<{ classid: string }>(
          `SELECT DISTINCT classid::text AS classid FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2 AND objid = hashtext($1)::oid ORDER BY 1`,
          [`${schema}:${migration}`],
        );
        expect(namespaces.map((n) => Number(n.classid))).toEqual(
          [RUN_LOCK_NAMESPACES.conversations, RUN_LOCK_NAMESPACES.embeddings].sort((a, b) => a - b),
        );
        await conv?.release();
        await (
          await takeRunLock(
            store.client,
            { connectionString: PG_URL },
            { kind: 'embeddings', schema: `${schema}_b`, migration },
          )
        )?.release();
        // A library call on PostgreSQL must say where the lock lives.
        await expect(
          runBackfill({
            store,
            embedder: embedderFor(server.baseUrl),
            plan: testPlan({ migration: MIGRATION }),
            settings: small,
          }),
        ).rejects.toMatchObject({ code: 'E_MIGRATE_LOCK_SESSION' });
        await expect(
          runBackfill({
            store,
            embedder: embedderFor(server.baseUrl),
            plan: testPlan({ migration: MIGRATION }),
            settings: small,
            lock: { connectionString: PG_URL },
          }),
        ).rejects.toMatchObject({ code: 'E_MIGRATE_RUNNING' });
        let stdout = '';
        let stderr = '';
        const code = await main(
          ['migrate', 'embeddings', MIGRATION, '--root', root, '--quiet', '--database-url', PG_URL, '--schema', schema],
          {
            stdout: (t) => (stdout += `${t}\n`),
            stderr: (t) => (stderr += `${t}\n`),
            cwd: root,
            env: { PATH: process.env.PATH },
          },
        );
        expect(code).toBe(1);
        expect(stderr).toContain(
          `switchyard migrate embeddings: E_MIGRATE_RUNNING another 'migrate embeddings' run of ${migration} on schema ${schema} is in progress (PostgreSQL backend pid`,
        );
        expect(stdout).toBe('');
        await held.release();
        await (
          await takeRunLock(store.client, { connectionString: PG_URL }, { kind: 'embeddings', schema, migration })
        )?.release();
      } finally {
        await holder.close();
        await store.close();
        await dropSchema(schema);
        rmSync(root, { recursive: true, force: true });
      }
    },
  );

  it.skipIf(postgres.skip)(
    postgres.title(
      'PostgreSQL: when the lock connection dies mid-run the backfill stops with E_MIGRATE_LOCK_LOST, keeping its progress; the next run resumes',
    ),
    async () => {
      const schema = uniqueSchema('emblost');
      const store = await openVectorDatabase({ backend: 'postgres', connectionString: PG_URL, schema });
      // Two requests answered, the third held: the run is parked between its second and third batch.
      const proxy = await startProxy({ upstream: server.baseUrl, holdAfter: 2 });
      const session = await openLockSession(PG_URL, 'embeddings');
      try {
        await seedDocuments(store, 120);
        const plan = testPlan();
        const pid = (await session.query<{ pid: number }>('SELECT pg_backend_pid() AS pid'))[0]?.pid;
        const run = runBackfill({ store, embedder: embedderFor(proxy.baseUrl), plan, settings: small, lock: session });
        await waitFor('a request held by the proxy', () => proxy.held >= 1);
        await store.client.query('SELECT pg_terminate_backend($1)', [pid]);
        await waitFor('the lock session to notice its loss', () => session.lost);
        proxy.setHoldAfter(Infinity); // the batch in flight returns, and is not committed
        const report = await run;
        expect(report).toMatchObject({
          status: 'failed',
          error: { code: 'E_MIGRATE_LOCK_LOST' },
          embedded: 2 * small.batchSize,
        });
        expect(report.checkpoint).toMatchObject({ lastDocId: docId(2 * small.batchSize - 1), status: 'running' });
        const resumed = await runBackfill({
          store,
          embedder: embedderFor(server.baseUrl),
          plan,
          settings: small,
          lock: { connectionString: PG_URL },
        });
        expect(resumed).toMatchObject({
          status: 'complete',
          resumedFrom: docId(2 * small.batchSize - 1),
          embedded: 120 - 2 * small.batchSize,
        });
      } finally {
        await session.close();
        await proxy.close();
        await store.close();
        await dropSchema(schema);
      }
    },
  );
});
