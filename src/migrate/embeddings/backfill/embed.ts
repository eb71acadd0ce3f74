/**
 * Embedding a batch: paced by the rate limiter, retried with backoff on retryable failures, and
 * split when the API refuses a request until the refused documents are isolated (dead letters).
 */
import type { StoredDocument } from '@switchyard/data';
import type { EmbeddingError } from '../embedder.ts';
import { backoffDelay, sleep } from '../../shared/backoff.ts';
import { estimateTokens, splitForBudget } from '../../shared/rate-limit.ts';
import { StopRun, type BackfillRun, type EmbeddedBatch } from './run.ts';

/** Errors the documents cannot cause: retrying or splitting will not help, the run stops. */
function stopsTheRun(error: EmbeddingError): boolean {
  if (error.retryable) return true; // retries exhausted
  if (error.code === 'E_EMBED_DIMENSION' || error.code === 'E_EMBED_RESPONSE') return true;
  return error.status === undefined || error.status === 401 || error.status === 403 || error.status === 404;
}

/** One request's vectors, retried while retryable (E_EMBED_* thrown when retries run out). */
export async function embedTexts(run: BackfillRun, texts: string[]): Promise<Float32Array[]> {
  const { options, limiter, report } = run;
  const to = options.plan.to;
  // A batch estimated above the whole per-minute token budget goes as several requests, one
  // after the other, each paced (sending it at once would overshoot the budget and earn 429s).
  const groups = splitForBudget(texts, limiter.tokenBudget);
  if (groups.length > 1) {
    const out: Float32Array[] = [];
    for (const group of groups) out.push(...(await embedTexts(run, group)));
    return out;
  }
  const estimate = estimateTokens(texts);
  for (let attempt = 0; ; attempt++) {
    await limiter.acquire(estimate, options.signal);
    report.requests++;
    try {
      // No signal for the request itself: a stop lets requests in flight finish (bounded by the
      // client's timeout) and only prevents new ones — and the SDK keeps a listener per request.
      const result = await options.embedder.embedWithUsage(to.model, to.dimension, texts);
      // The estimate was a guess (characters/4): the API's count corrects the schedule.
      limiter.settle(estimate, result.promptTokens);
      return result.vectors;
    } catch (error) {
      if (options.signal?.aborted) throw error;
      const e = error as EmbeddingError;
      if (!e.retryable || attempt >= options.settings.maxRetries) throw e;
      report.retries++;
      await sleep(backoffDelay(attempt, { ...options.backoff, retryAfterMs: e.retryAfterMs }), options.signal);
    }
  }
}

/**
 * The batch's vectors; documents the API refuses come back as failures. Throws StopRun when the
 * failure is not the documents' (service down, wrong plan).
 */
export async function embedDocs(run: BackfillRun, docs: StoredDocument[]): Promise<EmbeddedBatch> {
  const { options } = run;
  try {
    const vectors = await embedTexts(
      run,
      docs.map((d) => d.content),
    );
    return {
      docs,
      rows: docs.map((d, i) => ({ id: d.id, version: d.version, embedding: vectors[i]! })),
      failures: [],
    };
  } catch (error) {
    if (options.signal?.aborted) throw error;
    const e = error as EmbeddingError;
    if (stopsTheRun(e)) {
      throw new StopRun(
        e.code ?? 'E_EMBED_NETWORK',
        `${e.message}${e.retryable ? ` (after ${options.settings.maxRetries} retries; run again to resume)` : ''}`,
      );
    }
    if (docs.length === 1)
      return {
        docs,
        rows: [],
        failures: [{ doc: docs[0]!, code: e.code, message: e.message.slice(0, 1000), attempts: 1 }],
      };
    // The API refused the request: split it to find the documents it is about.
    const half = Math.ceil(docs.length / 2);
    const [a, b] = [await embedDocs(run, docs.slice(0, half)), await embedDocs(run, docs.slice(half))];
    return { docs, rows: [...a.rows, ...b.rows], failures: [...a.failures, ...b.failures] };
  }
}
