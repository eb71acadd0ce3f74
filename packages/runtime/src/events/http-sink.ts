/**
 * An HTTP sink: events go to a collector (`switchyard collect`, or anything speaking the same small
 * protocol) in batches. `write` only pushes onto a bounded buffer; a timer (or a full batch) posts
 * asynchronously with the global `fetch`. A failing collector is retried with a growing delay;
 * after `maxAttempts` failures, or on a refusal that retrying cannot fix (4xx other than 408/429),
 * a batch is dropped and counted. Nothing ever blocks or throws into the caller.
 *
 * Wire protocol: `POST <url>` with `authorization: Bearer <token>` and a JSON body
 * `{ "source": "<this sink's id>", "events": [{ "seq": <n>, "event": <SwitchyardEvent> }, …] }`.
 * `(source, seq)` identifies an event, so a batch delivered twice (a response lost after the write)
 * is stored once. Any 2xx acknowledges the batch.
 */
import { randomUUID } from 'node:crypto';
import { createBatcher } from './batching.ts';
import type { EventSink, SwitchyardEvent } from './types.ts';

export interface HttpSinkOptions {
  /** The collector's endpoint, e.g. `http://127.0.0.1:4318/v1/events`. */
  url: string;
  /** Shared token sent as `authorization: Bearer <token>`. */
  token: string;
  /** This sink's identity in the store (default: a random UUID per sink). */
  source?: string;
  /** Events held in memory while waiting to be sent; beyond it they are dropped (counted). */
  maxBuffer?: number;
  /** Send at least this often (ms). */
  flushIntervalMs?: number;
  /** Events per request; a request is sent as soon as this many are waiting. */
  batchSize?: number;
  /** Attempts per batch before it is dropped. */
  maxAttempts?: number;
  /** Per-request deadline (ms). */
  timeoutMs?: number;
  /** Ceiling of the first retry delay (ms); doubles per attempt, with jitter (backoffDelay). */
  retryBaseMs?: number;
  /** Largest retry delay (ms, default 30 s). */
  retryMaxMs?: number;
}

interface Pending {
  seq: number;
  event: SwitchyardEvent;
}

/** Creates the sink. Throws only on options that cannot work (bad URL, empty token), never later. */
export function createHttpSink(options: HttpSinkOptions): EventSink {
  const url = new URL(options.url);
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new TypeError(`createHttpSink: url must be http(s), got ${url.protocol}`);
  if (typeof options.token !== 'string' || options.token === '')
    throw new TypeError('createHttpSink: token must be a non-empty string');
  const source = options.source ?? `http-sink-${randomUUID()}`;
  const maxBuffer = options.maxBuffer ?? 50_000;
  const flushIntervalMs = options.flushIntervalMs ?? 1000;
  const batchSize = options.batchSize ?? 500;
  const maxAttempts = options.maxAttempts ?? 5;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const retryBaseMs = options.retryBaseMs ?? 200;
  let nextSeq = 0;
  const batcher = createBatcher<Pending>(
    async (batch) => {
      let body: string;
      try {
        body = JSON.stringify({ source, events: batch });
      } catch (e) {
        // An event that cannot be serialised (a cycle, a BigInt) would fail every attempt.
        return {
          ok: false,
          retry: false,
          error: `batch not serialisable: ${e instanceof Error ? e.message : String(e)}`,
        };
      }
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${options.token}` },
          body,
          signal: AbortSignal.timeout(timeoutMs),
        });
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) return { ok: true };
        // A refusal retrying cannot fix (bad token, bad event) is dropped at once; 408/429/5xx are retried.
        const retry = !(res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429);
        return { ok: false, retry, error: `collector answered ${res.status}` };
      } catch (e) {
        return { ok: false, retry: true, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
      }
    },
    {
      maxBuffer,
      flushIntervalMs,
      batchSize,
      maxAttempts,
      retryBaseMs,
      ...(options.retryMaxMs !== undefined ? { retryMaxMs: options.retryMaxMs } : {}),
    },
  );
  return {
    write(event) {
      batcher.write({ seq: nextSeq++, event });
    },
    flush: batcher.flush,
    close: batcher.close,
    stats: batcher.stats,
  };
}
