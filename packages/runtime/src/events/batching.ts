/**
 * The machinery the asynchronous sinks share: `write` pushes onto a bounded buffer (overflow and
 * writes after close are counted as dropped, never thrown); a timer, or a full batch, hands the
 * oldest `batchSize` items to `send`; `send` says whether they were written, should be retried
 * (after the repository's one backoff rule, `backoffDelay`: doubling, capped, equal jitter, up to
 * `maxAttempts`) or must be dropped. `flush`/`close` drain.
 */
import { backoffDelay } from '../backoff.ts';
import type { SinkStats } from './types.ts';

/** What became of one batch. */
export type SendOutcome = { ok: true } | { ok: false; retry: boolean; error: string };

export interface BatchingOptions {
  maxBuffer: number;
  flushIntervalMs: number;
  batchSize: number;
  maxAttempts: number;
  /** Ceiling of the first retry delay (doubles per attempt); 0 retries at the next flush interval. */
  retryBaseMs?: number;
  /** Largest retry delay (default 30 s), so a long outage does not push retries out for hours. */
  retryMaxMs?: number;
  /** Source of randomness in [0, 1) for the jitter (tests pass a fixed one). */
  random?: () => number;
}

export interface Batcher<T> {
  write(item: T): void;
  flush(): Promise<void>;
  close(): Promise<void>;
  stats(): SinkStats;
}

export function createBatcher<T>(send: (batch: T[]) => Promise<SendOutcome>, options: BatchingOptions): Batcher<T> {
  const { maxBuffer, flushIntervalMs, batchSize, maxAttempts } = options;
  // Equal jitter: sinks of a fleet that failed together do not retry together, yet never retry at once.
  const retryDelay = () =>
    options.retryBaseMs
      ? backoffDelay(attempts - 1, {
          baseMs: options.retryBaseMs,
          maxMs: options.retryMaxMs ?? 30_000,
          jitter: 'equal',
          ...(options.random ? { random: options.random } : {}),
        })
      : flushIntervalMs;
  const stats: SinkStats = { accepted: 0, written: 0, dropped: 0 };
  const buffer: T[] = [];
  let timer: ReturnType<typeof setTimeout> | null = null;
  let running: Promise<void> | null = null;
  let attempts = 0;
  let closed = false;

  function schedule(delay: number): void {
    if (timer !== null || running !== null) return;
    timer = setTimeout(kick, delay);
    timer.unref();
  }

  function kick(): void {
    timer = null;
    if (running === null && buffer.length > 0) {
      running = sendOne().finally(() => {
        running = null;
        if (buffer.length > 0 && !closed)
          schedule(attempts > 0 ? retryDelay() : buffer.length >= batchSize ? 0 : flushIntervalMs);
      });
    }
  }

  async function sendOne(): Promise<void> {
    const batch = buffer.slice(0, batchSize);
    let outcome: SendOutcome;
    try {
      outcome = await send(batch);
    } catch (e) {
      outcome = { ok: false, retry: true, error: e instanceof Error ? e.message : String(e) };
    }
    if (outcome.ok) {
      buffer.splice(0, batch.length);
      stats.written += batch.length;
      attempts = 0;
      return;
    }
    stats.lastError = outcome.error;
    if (!outcome.retry || ++attempts >= maxAttempts) {
      buffer.splice(0, batch.length);
      stats.dropped += batch.length;
      attempts = 0;
    }
  }

  async function drainAll(): Promise<void> {
    if (timer !== null) {
      clearTimeout(timer);
      timer = null;
    }
    while (running !== null || buffer.length > 0) {
      if (running !== null) await running;
      else if (attempts > 0 && options.retryBaseMs) {
        // Keep the retry delay while draining, so a failing backend is not hammered.
        await new Promise((resolve) => setTimeout(resolve, retryDelay()));
        if (running === null && buffer.length > 0) kick();
      } else kick();
    }
  }

  return {
    write(item) {
      if (closed || buffer.length >= maxBuffer) {
        stats.dropped++;
        stats.lastError = closed ? 'sink closed' : `buffer of ${maxBuffer} events full`;
        return;
      }
      buffer.push(item);
      stats.accepted++;
      schedule(buffer.length >= batchSize ? 0 : flushIntervalMs);
    },
    flush: drainAll,
    async close() {
      await drainAll();
      closed = true;
    },
    stats: () => ({ ...stats }),
  };
}
