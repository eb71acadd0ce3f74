/**
 * Reads batches sequentially, keeps up to `concurrency` embeddings requests in flight, and commits
 * strictly in read order (so the checkpoint never moves past an uncommitted batch).
 */
import type { StoredDocument } from '@switchyard/data';
import { commitBatch, type Counter } from './commit.ts';
import { embedDocs } from './embed.ts';
import { checkLock, type BackfillRun, type EmbeddedBatch } from './run.ts';

/** Runs `next()` (an empty batch ends it) through embedding and commit; `advance` moves the checkpoint's cursor. */
export async function pipeline(
  run: BackfillRun,
  next: () => Promise<StoredDocument[]>,
  counter: Counter,
  advance: boolean,
): Promise<void> {
  const { signal } = run.options;
  const queue: Array<{ work: Promise<EmbeddedBatch>; last: string }> = [];
  let exhausted = false;
  try {
    for (;;) {
      checkLock(run);
      while (!exhausted && queue.length < run.options.settings.concurrency && !signal?.aborted) {
        const docs = await next();
        if (docs.length === 0) {
          exhausted = true;
          break;
        }
        const work = embedDocs(run, docs);
        work.catch(() => {}); // awaited in order below; avoid an unhandled rejection meanwhile
        queue.push({ work, last: docs.at(-1)!.id });
      }
      const head = queue.shift();
      if (!head) break;
      const batch = await head.work;
      await commitBatch(run, batch, advance ? head.last : null, counter);
      if (signal?.aborted) break;
    }
  } finally {
    await Promise.allSettled(queue.map((q) => q.work));
  }
}
