/**
 * An append-only JSON Lines file sink. `write` only pushes onto a bounded buffer; a timer (or a full
 * batch) flushes asynchronously with one append per batch. A failing disk is retried on the next
 * flush; after `maxAttempts` failures a batch is dropped and counted. Nothing ever blocks or throws
 * into the caller.
 */
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { createBatcher } from './batching.ts';
import type { EventSink, SwitchyardEvent } from './types.ts';

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
  let handle: FileHandle | null = null;
  const batcher = createBatcher<SwitchyardEvent>(
    async (batch) => {
      try {
        handle ??= await open(path, 'a');
        let text = '';
        for (const e of batch) text += JSON.stringify(e) + '\n';
        await handle.appendFile(text, 'utf8');
        if (options.fsync === true) await handle.sync();
        return { ok: true };
      } catch (e) {
        if (handle !== null) {
          await handle.close().catch(() => undefined);
          handle = null;
        }
        return { ok: false, retry: true, error: e instanceof Error ? e.message : String(e) };
      }
    },
    {
      maxBuffer: options.maxBuffer ?? 50_000,
      flushIntervalMs: options.flushIntervalMs ?? 1000,
      batchSize: options.batchSize ?? 1000,
      maxAttempts: options.maxAttempts ?? 3,
    },
  );
  return {
    write: batcher.write,
    flush: batcher.flush,
    async close() {
      await batcher.close();
      if (handle !== null) {
        await handle.close().catch(() => undefined);
        handle = null;
      }
    },
    stats: batcher.stats,
  };
}
