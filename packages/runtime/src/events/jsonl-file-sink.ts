/**
 * An append-only JSON Lines file sink. `write` only pushes onto a bounded buffer; a timer (or a full
 * batch) flushes asynchronously with one append per batch. A failing disk is retried on the next
 * flush; after `maxAttempts` failures a batch is dropped and counted. Nothing ever blocks or throws
 * into the caller.
 */
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import type { EventSink, SinkStats, SwitchyardEvent } from './types.ts';

export interface JsonlFileSinkOptions {
  /** Events held in memory while waiting to be written; beyond it they are dropped (counted). */
  maxBuffer?: number;
  /** Flush at least this often (ms). */
  flushIntervalMs?: number;
  /** Flush as soon as this many events are waiting. */
  batchSize?: number;
  /** Attempts per batch before it is dropped. */
  maxAttempts?: number;
  /** Call fsync after each batch (durable, slower). */
  fsync?: boolean;
}

export function createJsonlFileSink(path: string, options: JsonlFileSinkOptions = {}): EventSink {
  const maxBuffer = options.maxBuffer ?? 50_000;
  const flushIntervalMs = options.flushIntervalMs ?? 1000;
  const batchSize = options.batchSize ?? 1000;
  const maxAttempts = options.maxAttempts ?? 3;
  const stats: SinkStats = { accepted: 0, written: 0, dropped: 0 };
  const buffer: SwitchyardEvent[] = [];
  let handle: FileHandle | null = null;
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
      running = writeBatch().finally(() => {
        running = null;
        if (buffer.length > 0 && !closed) schedule(buffer.length >= batchSize ? 0 : flushIntervalMs);
      });
    }
  }

  async function writeBatch(): Promise<void> {
    const batch = buffer.slice(0, batchSize);
    try {
      handle ??= await open(path, 'a');
      let text = '';
      for (const e of batch) text += JSON.stringify(e) + '\n';
      await handle.appendFile(text, 'utf8');
      if (options.fsync === true) await handle.sync();
      buffer.splice(0, batch.length);
      stats.written += batch.length;
      attempts = 0;
    } catch (e) {
      stats.lastError = e instanceof Error ? e.message : String(e);
      if (++attempts >= maxAttempts) {
        buffer.splice(0, batch.length);
        stats.dropped += batch.length;
        attempts = 0;
      }
      if (handle !== null) {
        await handle.close().catch(() => undefined);
        handle = null;
      }
    }
  }

  async function drainAll(): Promise<void> {
    if (timer !== null) {
      clearTimeout(timer);
      timer = null;
    }
    while (running !== null || buffer.length > 0) {
      if (running !== null) await running;
      else kick();
    }
  }

  return {
    write(event) {
      if (closed || buffer.length >= maxBuffer) {
        stats.dropped++;
        stats.lastError = closed ? 'sink closed' : `buffer of ${maxBuffer} events full`;
        return;
      }
      buffer.push(event);
      stats.accepted++;
      schedule(buffer.length >= batchSize ? 0 : flushIntervalMs);
    },
    flush: drainAll,
    async close() {
      await drainAll();
      closed = true;
      if (handle !== null) {
        await handle.close().catch(() => undefined);
        handle = null;
      }
    },
    stats: () => ({ ...stats }),
  };
}
