import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { ParseReply, ParseRequest } from './parse-worker.ts';
import { parseYamlText, type ParsedYaml } from './yaml-parse.ts';

/** Below this many YAML files, starting workers costs more than it saves. */
export const POOL_THRESHOLD = 200;
/** Texts per message: large enough to amortise messaging, small enough to balance the workers. */
const BATCH_SIZE = 50;
const MAX_WORKERS = 4;
const WORKER_ENTRY = new URL('./parse-worker.mjs', import.meta.url);

interface Batch {
  id: number;
  texts: string[];
  resolve: (results: ParsedYaml[]) => void;
}

/** How a pool can be set up; the defaults are right outside tests and benchmarks. */
export interface PoolOptions {
  /** Worker threads (default: available parallelism, at most 4). */
  size?: number;
  /** Worker entry module (tests point it at workers that fail). */
  entry?: URL;
  /** V8 heap limits per worker (e.g. a larger young generation: fewer scavenges while parsing). */
  resourceLimits?: { maxYoungGenerationSizeMb?: number; maxOldGenerationSizeMb?: number };
}

interface Slot {
  worker: Worker;
  current: Batch | undefined;
  alive: boolean;
}

/**
 * A few worker threads running `parseYamlText` over batches of pre-scanned texts. It never fails: a
 * worker that cannot start, dies or cannot answer has its batches parsed in this thread instead, with
 * the same function, so results are identical either way.
 */
export class ParsePool {
  private readonly slots: Slot[] = [];
  private readonly queue: Batch[] = [];
  private readonly maxAliasCount: number;
  private nextId = 0;
  private closed = false;
  /** Batches answered by a worker and batches parsed in this thread (fallback), for tests and benchmarks. */
  readonly stats = { workerBatches: 0, threadBatches: 0 };

  constructor(maxAliasCount: number, options: PoolOptions = {}) {
    this.maxAliasCount = maxAliasCount;
    const size = options.size ?? Math.min(MAX_WORKERS, availableParallelism());
    for (let i = 0; i < size; i++) this.spawn(options);
  }

  /** Parses `texts` in batches; one promise per batch of `BATCH_SIZE`, in order. */
  parseAll(texts: readonly string[]): Array<Promise<ParsedYaml[]>> {
    const batches: Array<Promise<ParsedYaml[]>> = [];
    for (let start = 0; start < texts.length; start += BATCH_SIZE) {
      const slice = texts.slice(start, start + BATCH_SIZE);
      batches.push(new Promise((resolve) => {
        this.queue.push({ id: this.nextId++, texts: slice, resolve });
      }));
    }
    for (const slot of this.slots) this.feed(slot);
    if (!this.slots.some((slot) => slot.alive)) this.drainInThread();
    return batches;
  }

  /** Stops the workers; pending batches are finished in this thread. */
  close(): void {
    this.closed = true;
    for (const slot of this.slots) {
      slot.alive = false;
      if (slot.current) this.parseInThread(slot.current);
      slot.current = undefined;
      void slot.worker.terminate().catch(() => undefined);
    }
    this.drainInThread();
  }

  /** Batch size used by `parseAll`, for callers mapping a text index to its batch. */
  static get batchSize(): number {
    return BATCH_SIZE;
  }

  private spawn(options: PoolOptions): void {
    let worker: Worker;
    try {
      worker = new Worker(options.entry ?? WORKER_ENTRY, options.resourceLimits ? { resourceLimits: options.resourceLimits } : {});
    } catch {
      return; // no worker: everything runs in this thread
    }
    const slot: Slot = { worker, current: undefined, alive: true };
    worker.on('message', (reply: ParseReply) => this.onReply(slot, reply));
    worker.on('error', () => this.onDeath(slot));
    worker.on('exit', () => this.onDeath(slot));
    this.slots.push(slot);
  }

  private feed(slot: Slot): void {
    if (!slot.alive || slot.current) return;
    const batch = this.queue.shift();
    if (!batch) return;
    slot.current = batch;
    const request: ParseRequest = { id: batch.id, texts: batch.texts, maxAliasCount: this.maxAliasCount };
    slot.worker.postMessage(request);
  }

  private onReply(slot: Slot, reply: ParseReply): void {
    const batch = slot.current;
    if (!batch || batch.id !== reply.id) return;
    slot.current = undefined;
    if ('results' in reply && reply.results.length === batch.texts.length) {
      this.stats.workerBatches++;
      batch.resolve(reply.results);
    } else {
      this.parseInThread(batch);
    }
    this.feed(slot);
  }

  private onDeath(slot: Slot): void {
    if (!slot.alive) return;
    slot.alive = false;
    if (slot.current) this.parseInThread(slot.current);
    slot.current = undefined;
    if (!this.closed && !this.slots.some((other) => other.alive)) this.drainInThread();
  }

  private drainInThread(): void {
    for (let batch = this.queue.shift(); batch; batch = this.queue.shift()) this.parseInThread(batch);
  }

  private parseInThread(batch: Batch): void {
    this.stats.threadBatches++;
    batch.resolve(batch.texts.map((text) => parseYamlText(text, this.maxAliasCount)));
  }
}
