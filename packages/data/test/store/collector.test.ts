/**
 * Evidence from where applications emit: the runtime's HTTP sink → the collector over real HTTP on
 * 127.0.0.1 → the event store (embedded PGlite), and JSON Lines loaded idempotently.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpSink, type SwitchyardEvent } from '@switchyard/runtime';
import { createCollector, openStore, stampJsonlEvents, type Collector, type EventStore } from '../../src/index.ts';

const TOKEN = 'collector-test-token-0123456789';
let store: EventStore;
let collector: Collector;
let server: Server;
let url: string;

beforeAll(async () => {
  store = await openStore({ backend: 'pglite' });
  collector = createCollector({ writeBatch: (b) => store.writeBatch(b), token: TOKEN, maxBodyBytes: 64 * 1024 });
  server = createServer((req, res) => collector.handle(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/events`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  await store.close();
});

const exposure = (i: number, variant: string): SwitchyardEvent => ({
  type: 'exposure',
  time: 1_700_000_000_000 + i,
  serial: 5,
  env: 'production',
  subject: 'experiment',
  key: 'exp-http',
  variant,
  unitKey: `u${i}`,
});
const metric = (i: number, variant: string, value: number): SwitchyardEvent => ({
  type: 'metric',
  time: 1_700_000_000_000 + i,
  serial: 5,
  env: 'production',
  subject: 'experiment',
  key: 'exp-http',
  variant,
  unitKey: `u${i}`,
  metric: 'score',
  value,
});

async function post(
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: { error?: { code: string; message: string }; accepted?: number } }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as never };
}

describe('collector', () => {
  it('stores what the runtime HTTP sink sends, and a redelivered batch once', async () => {
    const sink = createHttpSink({ url, token: TOKEN, batchSize: 50, flushIntervalMs: 5, source: 'app-http' });
    for (let i = 0; i < 120; i++) {
      sink.write(exposure(i, i % 2 ? 'a' : 'b'));
      sink.write(metric(i, i % 2 ? 'a' : 'b', i % 2 ? 4 : 3));
    }
    await sink.close();
    expect(sink.stats()).toEqual({ accepted: 240, written: 240, dropped: 0 });
    const units = await store.queries.exposureUnits('experiment', 'exp-http');
    expect(units).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ variant: 'a', units: 60 }),
        expect.objectContaining({ variant: 'b', units: 60 }),
      ]),
    );
    // The same (source, seq) again — a response lost after the write — changes nothing.
    expect(
      (
        await post({
          source: 'app-http',
          events: [
            { seq: 0, event: exposure(0, 'b') },
            { seq: 1, event: metric(0, 'b', 3) },
          ],
        })
      ).status,
    ).toBe(200);
    expect(await store.queries.counts()).toMatchObject({ exposures: 120, metrics: 120 });
    expect(collector.stats()).toMatchObject({ events: 242 });
  });

  it('refuses a wrong token, a bad event, a body too large, another media type, path or method — writing nothing', async () => {
    const before = await store.queries.counts();
    expect((await post({ source: 's', events: [] }, { authorization: `Bearer ${TOKEN}x` })).body.error?.code).toBe(
      'E_COLLECT_TOKEN',
    );
    expect((await post({ source: 's', events: [] }, { authorization: '' })).status).toBe(401);
    const bad = await post({
      source: 's',
      events: [
        { seq: 0, event: exposure(1, 'a') },
        { seq: 1, event: { ...exposure(2, 'a'), unitKey: 7 } },
      ],
    });
    expect(bad).toMatchObject({
      status: 400,
      body: { error: { code: 'E_COLLECT_EVENT', message: 'events[1]: missing-field' } },
    });
    expect((await post({ source: 's', events: [{ seq: -1, event: exposure(1, 'a') }] })).body.error?.code).toBe(
      'E_COLLECT_EVENT',
    );
    expect((await post('{"source":')).body.error?.code).toBe('E_COLLECT_BODY');
    expect(
      (await post({ source: 's', events: [{ seq: 0, event: { ...exposure(1, 'a'), type: 'other' } }] })).body.error
        ?.message,
    ).toBe('events[0]: unknown-type');
    expect(
      (
        await post({
          source: 's',
          events: Array.from({ length: 2000 }, (_, i) => ({ seq: i, event: exposure(i, 'a') })),
        })
      ).status,
    ).toBe(413);
    expect((await post({ source: 's', events: [] }, { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await fetch(url.replace('/v1/events', '/other'), { method: 'POST' })).status).toBe(404);
    expect((await fetch(url)).status).toBe(405);
    expect(await store.queries.counts()).toEqual(before);
    expect(() => createCollector({ writeBatch: async () => {}, token: 'short' })).toThrow(/16 characters/);
  });
});

describe('JSON Lines', () => {
  const lines = [exposure(1, 'a'), metric(1, 'a', 5), metric(1, 'a', 5), exposure(2, 'b')].map((e) =>
    JSON.stringify(e),
  );

  it('loads idempotently: again, from a longer file, identical lines kept as separate events', async () => {
    const fresh = await openStore({ backend: 'pglite' });
    try {
      const first = stampJsonlEvents(lines);
      expect(first.problems).toEqual([]);
      await fresh.writeBatch(first.events);
      await fresh.writeBatch(stampJsonlEvents(lines).events);
      expect(await fresh.queries.counts()).toMatchObject({ exposures: 2, metrics: 2 });
      await fresh.writeBatch(stampJsonlEvents([...lines, '', JSON.stringify(metric(2, 'b', 1))]).events);
      expect(await fresh.queries.counts()).toMatchObject({ exposures: 2, metrics: 3 });
    } finally {
      await fresh.close();
    }
  });

  it('names every bad line and keeps the good ones apart', () => {
    const { events, problems } = stampJsonlEvents([
      lines[0]!,
      'not json',
      JSON.stringify({ ...exposure(3, 'a'), time: 'yesterday' }),
      '[]',
    ]);
    expect(events).toHaveLength(1);
    expect(problems.map((p) => p.line)).toEqual([2, 3, 4]);
    expect(problems[1]!.message).toBe('event refused: non-finite-number');
  });
});
