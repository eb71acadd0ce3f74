import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { ParseReply, ParseRequest } from './parse-worker.ts';
import { parseYamlText, type ParsedYaml } from './yaml-parse.ts';

/** Below this many YAML files, starting workers costs more than it saves. */
export const POOL_THRESHOLD = 200;
/** Texts per message: large enough to amortise messaging, small enough to balance the threads. */
const BATCH_SIZE = 50;
/** Batches handed to a worker at once, so it never idles while the loader thread is busy. */
const IN_FLIGHT = 2;
const MAX_WORKERS = 4;
const WORKER_ENTRY = new URL('./parse-worker.mjs', import.meta.url);

/** How a pool can be set up; the defaults are right outside tests and benchmarks. */
export interface PoolOptions {
  /**
   * Worker threads. Default: one less than the available parallelism (the loader thread parses
   * too), at most 4 — none on a single core.
   */
  size?: number;
  /** Worker entry module (tests point it at workers that fail). */
  entry?: URL;
  /** V8 heap limits per worker. */
  resourceLimits?: { maxYoungGenerationSizeMb?: number; maxOldGenerationSizeMb?: number };
}

interface Batch {
  id: number;
  texts: string[];
  done: boolean;
  promise: Promise<ParsedYaml[]>;
  resolve: (results: ParsedYaml[]) => void;
}

interface Slot {
  worker: Worker;
  inFlight: Batch[];
  alive: boolean;
}

/** The batches of one `parseAll` call. */
export interface ParseBatches {
  /** Texts per batch: text `i` is item `i % size` of batch `floor(i / size)`. */
  readonly size: number;
  /** Results of batch `index`; parses it in this thread if no worker has taken it yet. */
  get(index: number): Promise<ParsedYaml[]>;
}

/**
 * Worker threads running `parseYamlText` over batches of pre-scanned texts, with the loader thread
 * taking part: a batch the loader needs that no worker has started is parsed in place, and while it
 * waits for a worker it parses batches from the end of the queue. The pool never fails: a worker
 * that cannot start, dies or cannot answer has its batches parsed in this thread instead, by the same
 * function, so the results are identical either way.
 */
export class ParsePool {
  private readonly slots: Slot[] = [];
  private readonly queue: Batch[] = [];
  private readonly maxAliasCount: number;
  private nextId = 0;
  /** Batches answered by a worker and batches parsed in this thread, for tests and benchmarks. */
  readonly stats = { workerBatches: 0, threadBatches: 0 };

  constructor(maxAliasCount: number, options: PoolOptions = {}) {
    this.maxAliasCount = maxAliasCount;
    const size = options.size ?? Math.min(MAX_WORKERS, availableParallelism() - 1);
    for (let i = 0; i < size; i++) this.spawn(options);
  }

  /** Queues `texts` in batches of `BATCH_SIZE` for the workers. */
  parseAll(texts: readonly string[]): ParseBatches {
    const batches: Batch[] = [];
    for (let start = 0; start < texts.length; start += BATCH_SIZE) {
      let resolve!: (results: ParsedYaml[]) => void;
      const promise = new Promise<ParsedYaml[]>((done) => (resolve = done));
      const batch: Batch = {
        id: this.nextId++,
        texts: texts.slice(start, start + BATCH_SIZE),
        done: false,
        promise,
        resolve,
      };
      batches.push(batch);
      this.queue.push(batch);
    }
    for (const slot of this.slots) this.feed(slot);
    return { size: BATCH_SIZE, get: (index) => this.take(batches[index]) };
  }

  /** Stops the workers; batches they still held are finished in this thread. */
  close(): void {
    for (const slot of this.slots) {
      slot.alive = false;
      for (const batch of slot.inFlight.splice(0)) this.parseInThread(batch);
      void slot.worker.terminate().catch(() => undefined);
    }
    for (let batch = this.queue.shift(); batch; batch = this.queue.shift()) this.parseInThread(batch);
  }

  private async take(batch: Batch | undefined): Promise<ParsedYaml[]> {
    if (!batch) return [];
    // Held by a worker: rather than idle, parse the batches needed last (nobody else needs them soon).
    while (!batch.done && !this.queue.includes(batch) && this.queue.length > 0) {
      const last = this.queue.pop();
      if (last) this.parseInThread(last);
      await new Promise((resolve) => setImmediate(resolve)); // let worker replies in
    }
    const queued = this.queue.indexOf(batch);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      this.parseInThread(batch);
    }
    return batch.promise;
  }

  private spawn(options: PoolOptions): void {
    let worker: Worker;
    try {
      // execArgv: [] — the entry registers what it needs; inheriting e.g. `--import tsx` would start a
      // second module-loader thread per worker for nothing (~50 ms each).
      worker = new Worker(options.entry ?? WORKER_ENTRY, {
        execArgv: [],
        ...(options.resourceLimits ? { resourceLimits: options.resourceLimits } : {}),
      });
    } catch {
      return; // no worker: everything runs in this thread
    }
    // Idle workers must not keep the process alive; `feed` refs a worker while it holds batches.
    worker.unref();
    const slot: Slot = { worker, inFlight: [], alive: true };
    worker.on('message', (reply: ParseReply) => this.onReply(slot, reply));
    worker.on('error', () => this.onDeath(slot));
    worker.on('exit', () => this.onDeath(slot));
    this.slots.push(slot);
  }

  private feed(slot: Slot): void {
    while (slot.alive && slot.inFlight.length < IN_FLIGHT) {
      const batch = this.queue.shift();
      if (!batch) break;
      slot.inFlight.push(batch);
      const request: ParseRequest = { id: batch.id, texts: batch.texts, maxAliasCount: this.maxAliasCount };
      slot.worker.postMessage(request);
    }
    if (slot.inFlight.length > 0) slot.worker.ref();
    else slot.worker.unref();
  }

  private onReply(slot: Slot, reply: ParseReply): void {
    const index = slot.inFlight.findIndex((batch) => batch.id === reply.id);
    const batch = slot.inFlight[index];
    if (!batch) return;
    slot.inFlight.splice(index, 1);
    if ('results' in reply && reply.results.length === batch.texts.length) {
      this.stats.workerBatches++;
      batch.done = true;
      batch.resolve(reply.results);
    } else {
      this.parseInThread(batch);
    }
    this.feed(slot);
  }

  private onDeath(slot: Slot): void {
    if (!slot.alive) return;
    slot.alive = false;
    for (const batch of slot.inFlight.splice(0)) this.parseInThread(batch);
  }

  private parseInThread(batch: Batch): void {
    if (batch.done) return;
    this.stats.threadBatches++;
    batch.done = true;
    batch.resolve(batch.texts.map((text) => parseYamlText(text, this.maxAliasCount)));
  }
}

/**
 * Parse workers started on demand — when a source lists more than `POOL_THRESHOLD` files — and
 * shared by the loads of one call (working tree and `--base`), so the second load finds them warm.
 */
export class PoolStarter {
  private pool: ParsePool | undefined;
  private readonly maxAliasCount: number;

  constructor(maxAliasCount: number) {
    this.maxAliasCount = maxAliasCount;
  }

  /** For `FileSource.readAll`'s `onListed`: starts the workers while the files are read. */
  readonly onListed = (count: number): void => {
    if (count > POOL_THRESHOLD) this.pool ??= new ParsePool(this.maxAliasCount);
  };

  /** The workers, if a source was large enough to start them. */
  get current(): ParsePool | undefined {
    return this.pool;
  }

  close(): void {
    this.pool?.close();
    this.pool = undefined;
  }
}
