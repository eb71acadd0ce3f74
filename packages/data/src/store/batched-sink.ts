import { randomUUID } from 'node:crypto';
import { backoffDelay } from '@switchyard/runtime/bundle';
import type { EventSink, SinkStats, SwitchyardEvent } from './events.ts';
import type { StampedEvent } from './insert.ts';
import { validateEvent, type RefusalCounts } from './validate-event.ts';

/** The sink's counts; `refused` breaks down the events refused by validation (also in `dropped`). */
export interface BatchedSinkStats extends SinkStats {
  refused: RefusalCounts;
}

export interface BatchedSinkOptions {
  /**
   * Writes one batch durably; resolves only when the backend has committed it. It may resolve to
   * an `{ inserted, refused }` report (the store's does): refused events then count as dropped.
   */
  writeBatch: (batch: StampedEvent[]) => Promise<unknown>;
  /** Most events held in memory; beyond it new events are dropped (and counted). Default 100,000. */
  maxBuffer?: number;
  /** Events per write. Default 1,000. */
  batchSize?: number;
  /** A partial batch is written after this long. Default 200 ms. */
  flushIntervalMs?: number;
  /** Attempts per batch before it is dropped (and counted). Default 8. */
  maxAttempts?: number;
  /** First retry delay; doubles per attempt up to `maxRetryDelayMs`. Defaults 50 ms / 2 s. */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
  /**
   * A write that has not settled after this long counts as a failed attempt and is retried (a
   * late commit is harmless: rows are keyed by (source, seq)). Default 30 s.
   */
  writeTimeoutMs?: number;
  /**
   * How long `close()` waits for buffered events and in-flight retries before counting what is
   * left as dropped. Default 10 s.
   */
  closeTimeoutMs?: number;
  /** Identity of this writer in the store (default: a random UUID). */
  source?: string;
  /** Observes the fate of every batch (for logging and for tests that audit acknowledgements). */
  onBatch?: (batch: StampedEvent[], outcome: 'written' | 'dropped', error?: string) => void;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref?.());

/**
 * An `EventSink` that never blocks or fails its caller: `write` only appends to a bounded buffer;
 * one background loop writes batches with retries and exponential backoff. Every accepted event
 * ends up either acknowledged (`written`) or counted as `dropped` — never silently lost.
 */
export class BatchedSink implements EventSink {
  readonly source: string;
  private readonly options: Required<Omit<BatchedSinkOptions, 'onBatch' | 'source'>> &
    Pick<BatchedSinkOptions, 'onBatch'>;
  private buffer: StampedEvent[] = [];
  private seq = 0;
  private counts: SinkStats = { accepted: 0, written: 0, dropped: 0 };
  private refused: RefusalCounts = {};
  private loop: Promise<void> | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;
  /** Set when `close()` gave up at its deadline: counts are final, late outcomes are ignored. */
  private abandoned = false;
  /** The batch being written (with retries), counted as dropped if `close()` gives up on it. */
  private inFlight: StampedEvent[] | undefined;

  constructor(options: BatchedSinkOptions) {
    this.source = options.source ?? randomUUID();
    this.options = {
      writeBatch: options.writeBatch,
      maxBuffer: options.maxBuffer ?? 100_000,
      batchSize: options.batchSize ?? 1000,
      flushIntervalMs: options.flushIntervalMs ?? 200,
      maxAttempts: options.maxAttempts ?? 8,
      retryDelayMs: options.retryDelayMs ?? 50,
      maxRetryDelayMs: options.maxRetryDelayMs ?? 2000,
      writeTimeoutMs: options.writeTimeoutMs ?? 30_000,
      closeTimeoutMs: options.closeTimeoutMs ?? 10_000,
      onBatch: options.onBatch,
    };
  }

  write(event: SwitchyardEvent): void {
    try {
      const reason = validateEvent(event);
      if (reason !== null) {
        // Refused at the door, per event: a bad event must never fail the batch it would travel in.
        this.counts.dropped += 1;
        this.refused[reason] = (this.refused[reason] ?? 0) + 1;
        this.counts.lastError = `event refused: ${reason}`;
        return;
      }
      if (this.closed || this.buffer.length >= this.options.maxBuffer) {
        // Same convention as the runtime's sinks: refused events count as dropped, not accepted.
        this.counts.dropped += 1;
        this.counts.lastError = this.closed ? 'sink closed' : `buffer full (${this.options.maxBuffer})`;
        return;
      }
      this.counts.accepted += 1;
      this.buffer.push({ source: this.source, seq: ++this.seq, event });
      if (this.buffer.length >= this.options.batchSize) this.kick();
      else if (!this.timer) {
        this.timer = setTimeout(() => this.kick(), this.options.flushIntervalMs);
        this.timer.unref?.();
      }
    } catch {
      // write() must never throw into a resolution; count what we could not keep.
      this.counts.dropped += 1;
    }
  }

  async flush(): Promise<void> {
    while (this.buffer.length > 0 || this.loop) {
      this.kick();
      await this.loop;
    }
  }

  /**
   * Stops accepting events, then waits — at most `timeoutMs` (default `closeTimeoutMs`) — for the
   * buffer and any batch being retried. The deadline timer is a normal (ref'd) timer, so Node does
   * not exit in the middle of a retry back-off (those sleeps are unref'd so an idle sink never
   * holds a process open). At the deadline, whatever is still buffered or in flight is counted as
   * dropped and later outcomes are ignored: `written + dropped = accepted` once `close` resolves.
   */
  close(options: { timeoutMs?: number } = {}): Promise<void> {
    this.closing ??= this.closeWithin(options.timeoutMs ?? this.options.closeTimeoutMs);
    return this.closing;
  }

  private async closeWithin(timeoutMs: number): Promise<void> {
    this.closed = true;
    let deadline: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<'expired'>((resolve) => {
      deadline = setTimeout(() => resolve('expired'), timeoutMs);
    });
    try {
      const outcome = await Promise.race([this.flush().then(() => 'flushed' as const), expired]);
      if (outcome === 'expired') this.abandon();
    } finally {
      clearTimeout(deadline);
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  private abandon(): void {
    this.abandoned = true;
    const left = this.buffer.length + (this.inFlight?.length ?? 0);
    if (this.inFlight) this.notify(this.inFlight, 'dropped', 'sink closed before the batch was acknowledged');
    this.buffer = [];
    this.inFlight = undefined;
    if (left > 0) {
      this.counts.dropped += left;
      this.counts.lastError = `close deadline: ${left} events not acknowledged`;
    }
  }

  stats(): BatchedSinkStats {
    return { ...this.counts, refused: { ...this.refused } };
  }

  /** Events waiting in memory (accepted, neither written nor dropped yet, excluding the batch in flight). */
  pending(): number {
    return this.buffer.length;
  }

  private kick(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.loop) return;
    this.loop = this.drain().finally(() => {
      this.loop = undefined;
      if (this.buffer.length > 0 && !this.timer) this.timer = setTimeout(() => this.kick(), 0);
    });
  }

  private async drain(): Promise<void> {
    while (this.buffer.length > 0 && !this.abandoned) {
      const batch = this.buffer.splice(0, this.options.batchSize);
      await this.writeWithRetries(batch);
    }
  }

  private async writeWithRetries(batch: StampedEvent[]): Promise<void> {
    let lastError = '';
    this.inFlight = batch;
    for (let attempt = 1; attempt <= this.options.maxAttempts && !this.abandoned; attempt++) {
      try {
        const report = await this.withTimeout(this.options.writeBatch(batch));
        if (this.abandoned) return; // counted as dropped by close(); the late commit is harmless
        this.inFlight = undefined;
        this.settle(batch, report);
        return;
      } catch (error) {
        lastError = (error as Error)?.message ?? String(error);
        this.counts.lastError = lastError;
        if (attempt < this.options.maxAttempts) {
          await sleep(
            backoffDelay(attempt - 1, {
              baseMs: this.options.retryDelayMs,
              maxMs: this.options.maxRetryDelayMs,
              jitter: 'none',
            }),
          );
        }
      }
    }
    if (this.abandoned) return;
    this.inFlight = undefined;
    this.counts.dropped += batch.length;
    this.notify(batch, 'dropped', lastError);
  }

  /** Counts an acknowledged batch; events the writer reports as refused are dropped, not written. */
  private settle(batch: StampedEvent[], report: unknown): void {
    const refused = (report as { refused?: RefusalCounts } | undefined)?.refused ?? {};
    let count = 0;
    for (const [reason, n] of Object.entries(refused) as Array<[keyof RefusalCounts, number]>) {
      this.refused[reason] = (this.refused[reason] ?? 0) + n;
      count += n;
    }
    this.counts.written += batch.length - count;
    this.counts.dropped += count;
    this.notify(batch, 'written');
  }

  private withTimeout<T>(write: Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`write did not settle within ${this.options.writeTimeoutMs} ms`)),
        this.options.writeTimeoutMs,
      );
      timer.unref?.();
    });
    // A write that settles after its timeout must not surface as an unhandled rejection.
    write.catch(() => {});
    return Promise.race([write, timeout]).finally(() => clearTimeout(timer));
  }

  private notify(batch: StampedEvent[], outcome: 'written' | 'dropped', error?: string): void {
    try {
      this.options.onBatch?.(batch, outcome, error);
    } catch {
      // an observer's bug must not stop the writer
    }
  }
}
