import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORE_MIGRATIONS, migrateStore, openStore, type EventStore } from '../../src/store/index.ts';
import { openPgClient } from '../../src/store/pg-client.ts';
import { PG_URL, dropSchema, sampleEvents, uniqueSchema } from './fixtures.ts';
import { needs } from '../../../../test/helpers/capabilities.ts';

const postgres = await needs('postgres');

async function load(store: EventStore) {
  const sink = store.createSink({ batchSize: 700 });
  for (const event of sampleEvents()) sink.write(event);
  await sink.close();
  return sink.stats();
}

async function everyAnswer(store: EventStore) {
  const q = store.queries;
  return {
    counts: await q.counts(),
    exposures: await q.exposureUnits('experiment', 'exp-a'),
    satisfaction: await q.metricByVariant('experiment', 'exp-a', 'satisfaction'),
    convertedProd: await q.metricByVariant('experiment', 'exp-a', 'converted', { env: 'production' }),
    convertedLate: await q.metricByVariant('experiment', 'exp-a', 'converted', { sinceMs: Date.UTC(2026, 0, 2) }),
    series: await q.metricSeries('experiment', 'exp-a', 'satisfaction', 12),
    canary: await q.metricByVariant('canary', 'rag', 'relevance'),
    shadow: await q.shadowSummary('chat-next'),
    histogram: await q.shadowHistogram('chat-next', 10),
    worst: await q.shadowWorst('chat-next', 3),
    missing: await q.shadowSummary('no-such-rollout'),
  };
}

/** Deep comparison that allows float rounding differences between PostgreSQL 15 and PGlite's 17. */
function expectSameAnswers(a: unknown, b: unknown, path = '$'): void {
  if (typeof a === 'number' && typeof b === 'number') {
    expect(Math.abs(a - b), path).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(a)));
    return;
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    expect(Object.keys(b as object).sort(), path).toEqual(Object.keys(a as object).sort());
    for (const key of Object.keys(a as object))
      expectSameAnswers((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], `${path}.${key}`);
    return;
  }
  expect(b, path).toEqual(a);
}

describe.skipIf(postgres.skip)(postgres.title('event store on both backends'), () => {
  const schema = uniqueSchema('backends');
  const dir = mkdtempSync(join(tmpdir(), 'sy-store-'));
  let lite: EventStore;
  let server: EventStore;

  beforeAll(async () => {
    lite = await openStore({ backend: 'pglite', dataDir: join(dir, 'events'), schema: 'switchyard' });
    server = await openStore({ backend: 'postgres', connectionString: PG_URL, schema });
  });
  afterAll(async () => {
    await lite?.close();
    await server?.close();
    await dropSchema(schema);
    rmSync(dir, { recursive: true, force: true });
  });

  it('migrates both to the same version and records it', async () => {
    expect(lite.migration).toEqual({ applied: [1, 2, 3], current: 3 });
    expect(server.migration).toEqual({ applied: [1, 2, 3], current: 3 });
    const again = await openStore({ backend: 'postgres', connectionString: PG_URL, schema });
    expect(again.migration).toEqual({ applied: [], current: 3 });
    await again.close();
  });

  it('upgrades a store created by an older version, once', async () => {
    const old = uniqueSchema('upgrade');
    const client = openPgClient({ connectionString: PG_URL });
    try {
      expect(await migrateStore(client, old, STORE_MIGRATIONS.slice(0, 1))).toEqual({ applied: [1], current: 1 });
      const [a, b] = await Promise.all([migrateStore(client, old), migrateStore(client, old)]);
      // two processes racing: the advisory lock lets exactly one apply versions 2 and 3
      expect([a.applied, b.applied].sort()).toEqual([[], [2, 3]]);
      const rows = await client.query<{ version: number; name: string }>(
        `SELECT version, name FROM "${old}".store_migrations ORDER BY version`,
      );
      expect(rows).toEqual([
        { version: 1, name: 'events' },
        { version: 2, name: 'metric time index' },
        { version: 3, name: 'sequential decision state' },
      ]);
    } finally {
      await client.exec(`DROP SCHEMA "${old}" CASCADE`);
      await client.close();
    }
  });

  it('writes the same events and gives the same answers to every query', async () => {
    const [a, b] = await Promise.all([load(lite), load(server)]);
    const expected = sampleEvents().length;
    expect(a).toEqual({ accepted: expected, written: expected, dropped: 0, refused: {} });
    expect(b).toEqual({ accepted: expected, written: expected, dropped: 0, refused: {} });
    const [x, y] = [await everyAnswer(lite), await everyAnswer(server)];
    expectSameAnswers(x, y);
    // …and the answers are the right ones, not merely equal.
    expect(x.counts.exposures + x.counts.metrics + x.counts.shadow_pairs + x.counts.migration_events).toBe(expected);
    expect(x.exposures.map((r) => r.variant)).toEqual(['control', 'treatment']);
    expect(x.exposures[0]!.units + x.exposures[1]!.units).toBe(3000);
    expect(x.convertedProd.every((r) => r.binary)).toBe(true);
    expect(x.satisfaction.every((r) => !r.binary)).toBe(true);
    expect(x.satisfaction[1]!.mean - x.satisfaction[0]!.mean).toBeGreaterThan(0.1);
    expect(x.convertedProd[0]!.n + x.convertedProd[1]!.n).toBe(2700);
    expect(x.convertedLate[0]!.n + x.convertedLate[1]!.n).toBe(3000 - 1440);
    expect(x.shadow.pairs).toBe(150);
    expect(x.shadow.errors).toBe(15);
    expect(x.shadow.scored).toBe(135);
    expect(x.histogram.reduce((p, c) => p + c, 0)).toBe(135);
    expect(x.worst).toHaveLength(3);
    expect(x.worst[0]!.similarity).toBe(x.shadow.min);
    expect(x.worst[0]!.candidateOutput).toMatch(/réponse \d+ ✓/);
    // the series counts units (each once, in the bucket of its first observation), like the table
    expect(x.series!.points.reduce((p, c) => p + c.n, 0)).toBe(x.satisfaction[0]!.n + x.satisfaction[1]!.n);
    expect(x.missing).toEqual({
      pairs: 0,
      scored: 0,
      errors: 0,
      invalid: 0,
      atOrBelowMin: null,
      avg: null,
      min: null,
      p10: null,
      p50: null,
    });
  });

  it('a retried batch is idempotent (same source and seq are stored once)', async () => {
    const before = (await server.queries.counts()).exposures;
    const event = sampleEvents(2, 1)[0]!;
    const batch = [{ source: 'retry-test', seq: 1, event }];
    await server.writeBatch(batch);
    await server.writeBatch(batch);
    expect((await server.queries.counts()).exposures).toBe(before + 1);
  });

  it('the embedded store persists in its data directory', async () => {
    const before = await lite.queries.counts();
    // PGlite is single-process: a second open of the same directory is refused, not corrupted.
    await expect(openStore({ backend: 'pglite', dataDir: join(dir, 'events') })).rejects.toMatchObject({
      code: 'E_STORE_LOCKED',
    });
    await lite.close();
    lite = await openStore({ backend: 'pglite', dataDir: join(dir, 'events'), schema: 'switchyard' });
    expect(lite.migration).toEqual({ applied: [], current: 3 });
    expect(await lite.queries.counts()).toEqual(before);
  });

  it('rejects a bad schema name and an unreachable server with stable codes', async () => {
    await expect(openStore({ backend: 'pglite', schema: 'Robert"; drop' })).rejects.toMatchObject({
      code: 'E_STORE_SCHEMA_NAME',
    });
    await expect(
      openStore({ backend: 'postgres', connectionString: 'postgres://postgres@127.0.0.1:1/test', schema: 'x' }),
    ).rejects.toMatchObject({
      code: 'E_STORE_MIGRATE',
    });
  });
});
