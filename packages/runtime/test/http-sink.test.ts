/**
 * The HTTP sink against a real node:http server on 127.0.0.1 that records what it receives and can
 * be told to fail: batching, the wire protocol, retries, bounds, and that `write` never waits.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpSink, featureFlagAttributes, type ExposureEvent, type SwitchyardEvent } from '../src/index.ts';

interface Received {
  auth: string | undefined;
  source: string;
  events: Array<{ seq: number; event: SwitchyardEvent }>;
}

let server: Server | null = null;

/** A collector double speaking the wire protocol; `answer` decides each response's status. */
async function collector(
  answer: (n: number) => number | 'hang' = () => 200,
): Promise<{ url: string; received: Received[]; requests: () => number }> {
  const received: Received[] = [];
  let n = 0;
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = answer(n++);
      if (status === 'hang') return;
      if (status === 200)
        received.push({
          auth: req.headers.authorization,
          ...(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Omit<Received, 'auth'>),
        });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/events`, received, requests: () => n };
}

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = null;
});

const metric = (i: number): SwitchyardEvent => ({
  type: 'metric',
  time: 1_700_000_000_000 + i,
  serial: 3,
  env: 'production',
  subject: 'experiment',
  key: 'exp',
  variant: i % 2 ? 'a' : 'b',
  unitKey: `u${i}`,
  metric: 'm',
  value: i,
});

describe('HTTP sink', () => {
  it('posts batches with the bearer token, (source, seq) per event, in order, each event once', async () => {
    const c = await collector();
    const sink = createHttpSink({
      url: c.url,
      token: 'secret-token-0123456789',
      batchSize: 10,
      flushIntervalMs: 5,
      source: 'app-1',
    });
    for (let i = 0; i < 25; i++) sink.write(metric(i));
    await sink.close();
    expect(sink.stats()).toEqual({ accepted: 25, written: 25, dropped: 0 });
    expect(c.received.length).toBeGreaterThanOrEqual(3);
    expect(
      c.received.every(
        (r) => r.auth === 'Bearer secret-token-0123456789' && r.source === 'app-1' && r.events.length <= 10,
      ),
    ).toBe(true);
    const all = c.received.flatMap((r) => r.events);
    expect(all.map((e) => e.seq)).toEqual([...Array(25).keys()]);
    expect(all.map((e) => (e.event as { value: number }).value)).toEqual([...Array(25).keys()]);
  });

  it('retries a failing collector with backoff and delivers once it answers', async () => {
    const c = await collector((n) => (n < 2 ? 503 : 200));
    const sink = createHttpSink({ url: c.url, token: 'secret-token-0123456789', flushIntervalMs: 5, retryBaseMs: 5 });
    sink.write(metric(1));
    await sink.flush();
    expect(c.requests()).toBe(3);
    expect(sink.stats()).toMatchObject({ accepted: 1, written: 1, dropped: 0, lastError: 'collector answered 503' });
  });

  it('drops and counts a batch the collector refuses (4xx) or that fails past maxAttempts', async () => {
    const refused = await collector(() => 401);
    const a = createHttpSink({ url: refused.url, token: 'wrong-token-0123456789', flushIntervalMs: 5 });
    a.write(metric(1));
    a.write(metric(2));
    await a.close();
    expect(refused.requests()).toBe(1);
    expect(a.stats()).toEqual({ accepted: 2, written: 0, dropped: 2, lastError: 'collector answered 401' });
    const down = createHttpSink({
      url: 'http://127.0.0.1:9/v1/events',
      token: 't',
      flushIntervalMs: 5,
      retryBaseMs: 1,
      maxAttempts: 3,
    });
    down.write(metric(1));
    await down.close();
    expect(down.stats()).toMatchObject({ accepted: 1, written: 0, dropped: 1 });
    expect(down.stats().lastError).toMatch(/fetch failed|ECONNREFUSED/);
  });

  it('never blocks the caller: writes into a hung collector return at once, the buffer is bounded and overflow counted', async () => {
    const c = await collector(() => 'hang');
    const sink = createHttpSink({
      url: c.url,
      token: 'secret-token-0123456789',
      maxBuffer: 1000,
      batchSize: 100,
      flushIntervalMs: 1,
      timeoutMs: 200,
      retryBaseMs: 1,
      maxAttempts: 1,
    });
    const t0 = performance.now();
    for (let i = 0; i < 5000; i++) sink.write(metric(i));
    const ms = performance.now() - t0;
    const s = sink.stats();
    expect(s.accepted).toBe(1000);
    expect(s.dropped).toBe(4000);
    expect(s.lastError).toBe('buffer of 1000 events full');
    console.log(`5,000 writes into a hung collector: ${ms.toFixed(2)} ms`);
    await sink.close();
    const end = sink.stats();
    // Every accepted event ends written or dropped (the hung requests time out and are dropped).
    expect(end.written + end.dropped).toBe(5000);
    expect(end.written).toBe(0);
    sink.write(metric(1));
    expect(sink.stats().lastError).toBe('sink closed');
  });

  it('refuses options that cannot work, at creation', () => {
    expect(() => createHttpSink({ url: 'ftp://x/', token: 't' })).toThrow(/http/);
    expect(() => createHttpSink({ url: 'http://127.0.0.1:1/', token: '' })).toThrow(/token/);
  });

  it('maps an exposure to OpenTelemetry feature-flag attributes', () => {
    const e: ExposureEvent = {
      type: 'exposure',
      time: 1,
      serial: 42,
      env: 'production',
      subject: 'experiment',
      key: 'summarization-v1-vs-v2',
      variant: 'v2',
      unitKey: 'user-7',
    };
    expect(featureFlagAttributes(e)).toEqual({
      'feature_flag.key': 'summarization-v1-vs-v2',
      'feature_flag.result.variant': 'v2',
      'feature_flag.provider.name': 'switchyard',
      'feature_flag.context.id': 'user-7',
      'feature_flag.set.id': 'production',
      'feature_flag.version': '42',
      'switchyard.subject': 'experiment',
    });
  });
});
