/**
 * An in-memory event sink: bounded, synchronous, for tests and for applications that forward
 * events themselves. Beyond `capacity` events are counted as dropped, never silently lost.
 */
import type { EventSink, SinkStats, SwitchyardEvent } from './types.ts';

export interface MemorySink extends EventSink {
  /** The events kept so far (a copy). */
  events(): SwitchyardEvent[];
  /** Removes and returns the events kept so far. */
  drain(): SwitchyardEvent[];
}

export function createMemorySink(options: { capacity?: number } = {}): MemorySink {
  const capacity = options.capacity ?? 100_000;
  let buffer: SwitchyardEvent[] = [];
  const stats: SinkStats = { accepted: 0, written: 0, dropped: 0 };
  let closed = false;
  return {
    write(event) {
      if (closed || buffer.length >= capacity) {
        stats.dropped++;
        stats.lastError = closed ? 'sink closed' : `capacity ${capacity} reached`;
        return;
      }
      buffer.push(event);
      stats.accepted++;
      stats.written++;
    },
    async flush() {},
    async close() {
      closed = true;
    },
    stats: () => ({ ...stats }),
    events: () => buffer.slice(),
    drain() {
      const out = buffer;
      buffer = [];
      return out;
    },
  };
}
