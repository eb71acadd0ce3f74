import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import type { StampedEvent } from '../../src/store/index.ts';
import { openStore } from '../../src/store/index.ts';
import type { SwitchyardEvent } from '../../src/store/events.ts';
import { PG_URL, dropSchema, uniqueSchema } from './fixtures.ts';
import { startTcpProxy } from './tcp-proxy.ts';
import { needs } from '../../../../test/helpers/capabilities.ts';
import { pace } from '../../../../test/helpers/wait-for.ts';

const postgres = await needs('postgres');

const TOTAL = 100_000;

describe.skipIf(postgres.skip)(postgres.title('store outage during a load of 100,000 events'), () => {
  const schema = uniqueSchema('outage');
  afterAll(() => dropSchema(schema));

  it('loses none that were acknowledged and counts every one it dropped', async () => {
    const url = new URL(PG_URL);
    const proxy = await startTcpProxy(Number(url.port || 5432), url.hostname);
    url.port = String(proxy.port);
    const store = await openStore({ backend: 'postgres', connectionString: url.toString(), schema });
    const acknowledged = new Set<string>();
    let droppedInBatches = 0;
    const sink = store.createSink({
      maxBuffer: 20_000,
      batchSize: 2000,
      maxAttempts: 4,
      retryDelayMs: 50,
      maxRetryDelayMs: 400,
      onBatch: (batch: StampedEvent[], outcome) => {
        if (outcome === 'written')
          for (const item of batch) acknowledged.add((item.event as { unitKey: string }).unitKey);
        else droppedInBatches += batch.length;
      },
    });

    let slowestWriteMs = 0;
    let outageStarted = 0;
    let outageMs = 0;
    for (let chunk = 0; chunk < 100; chunk++) {
      if (chunk === 30) {
        await proxy.cut(); // the network to the database goes away: live connections reset, new ones refused
        outageStarted = Date.now();
      }
      if (chunk === 70) {
        await proxy.restore();
        outageMs = Date.now() - outageStarted;
      }
      const started = performance.now();
      for (let i = 0; i < 1000; i++) {
        const n = chunk * 1000 + i;
        const event: SwitchyardEvent = {
          type: 'exposure',
          time: 1_700_000_000_000 + n,
          serial: 3,
          env: 'production',
          subject: 'canary',
          key: 'rag',
          variant: n % 2 ? 'candidate' : 'control',
          unitKey: `u${n}`,
        };
        sink.write(event);
      }
      slowestWriteMs = Math.max(slowestWriteMs, performance.now() - started);
      // ~20,000 events/s offered (under the writer's capacity), with a ~1.6 s outage in the middle
      await pace(40);
    }
    await sink.flush();
    // After the restore the store takes writes again: a last event is acknowledged.
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

    // Direct connection (not through the proxy) to audit what is really stored.
    const audit = new pg.Client({ connectionString: PG_URL });
    await audit.connect();
    const rows = (await audit.query<{ unit_key: string }>(`SELECT unit_key FROM "${schema}".exposures`)).rows;
    await audit.end();
    await store.close();
    await proxy.close();
    const stored = new Set(rows.map((r) => r.unit_key));

    console.log(
      `outage ~${outageMs} ms: accepted ${stats.accepted}, written ${stats.written}, dropped ${stats.dropped} ` +
        `(${droppedInBatches} after retries, ${stats.dropped - droppedInBatches} refused by the full buffer); stored ${stored.size}; ` +
        `slowest chunk of 1,000 writes ${slowestWriteMs.toFixed(1)} ms; last error: ${stats.lastError}`,
    );
    // Every event is accounted for: acknowledged or dropped-and-counted.
    expect(stats.written + stats.dropped).toBe(TOTAL + 1);
    expect(stats.written).toBe(acknowledged.size);
    // The outage really happened and really cost events…
    expect(stats.dropped).toBeGreaterThan(0);
    expect(stats.lastError).toBeTruthy();
    // …but none that were acknowledged, and nothing twice.
    for (const key of acknowledged) expect(stored.has(key)).toBe(true);
    expect(rows.length).toBe(stored.size);
    expect(stored.has('after-restore')).toBe(true);
  });
});

describe.skipIf(postgres.skip)(postgres.title('a store that hangs'), () => {
  const schema = uniqueSchema('stall');
  afterAll(() => dropSchema(schema));

  it('never delays write(); hung batches time out, are retried, and are counted as dropped', async () => {
    const url = new URL(PG_URL);
    const proxy = await startTcpProxy(Number(url.port || 5432), url.hostname);
    url.port = String(proxy.port);
    const store = await openStore({
      backend: 'postgres',
      connectionString: url.toString(),
      schema,
      writeQueryTimeoutMs: 1000,
    });
    const sink = store.createSink({ batchSize: 100, maxAttempts: 2, retryDelayMs: 20, writeTimeoutMs: 300 });
    proxy.stall();
    const started = performance.now();
    for (let i = 0; i < 500; i++) {
      sink.write({
        type: 'exposure',
        time: 1_700_000_000_000 + i,
        serial: 1,
        env: 'production',
        subject: 'flag',
        key: 'f',
        variant: 'on',
        unitKey: `s${i}`,
      });
    }
    const writeMs = performance.now() - started;
    await sink.flush();
    const stats = sink.stats();
    // The hung statements hit their client-side deadline, their connections are destroyed, and the
    // store closes cleanly.
    await store.close();
    await proxy.close();
    console.log(`stalled store: 500 writes took ${writeMs.toFixed(2)} ms; ${JSON.stringify(stats)}`);
    expect(stats.accepted).toBe(500);
    expect(stats.written).toBe(0);
    expect(stats.dropped).toBe(500);
    expect(stats.lastError).toMatch(/did not settle within 300 ms/);
  });
});
