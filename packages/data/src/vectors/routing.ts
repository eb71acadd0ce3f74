/**
 * Reads and writes routed by the migration phase: the runtime's `engine.embeddingRoute(id).value`
 * says where to write (every target) and in which order to read (first with results wins). The
 * reference chat service calls these; they are also what the crash-and-resume test dual-writes with.
 */
import type { EmbeddingRouteValue } from '@switchyard/runtime';
import type { Embedder } from './embedder.ts';
import { VectorError } from './errors.ts';
import type { DocumentInput, EmbeddingTarget, SearchHit, SearchOptions, StoredDocument, VectorStore } from './store.ts';

/** The part of the runtime's route these functions use. */
export type EmbeddingRoute = Pick<EmbeddingRouteValue, 'phase' | 'write' | 'read'>;

export interface IndexedDocument {
  document: StoredDocument;
  /**
   * Per write target: `written`, or not written because a newer version of the document already
   * landed, or — `retired` — because a cleanup retired that index (the instance's route is older
   * than the plan's `complete` phase; see `retired` below).
   */
  targets: Array<{ index: string; model: string; written: boolean; retired?: boolean }>;
  /**
   * Write targets skipped because their index was retired by `--cleanup`. Not an error while
   * another target was written: an instance still on the `cutover` route keeps serving, writing
   * only the live index, and should log this (its bundle is behind the published plan).
   */
  retired: string[];
}

/**
 * Stores the document (new version), then embeds it with each write target's model and upserts
 * into each target index (created when missing, unless a cleanup retired it: that target is
 * skipped and listed in `retired`). When a target fails, the others are still written and an
 * `E_VECTOR_WRITE` error lists what failed; retrying is safe (idempotent, and a stale retry is
 * ignored by the version rule). When every target is retired the document is stored but indexed
 * nowhere: `E_VECTOR_INDEX_RETIRED`.
 */
export async function indexDocument(
  store: VectorStore,
  embedder: Embedder,
  route: EmbeddingRoute,
  doc: DocumentInput,
): Promise<IndexedDocument> {
  const document = await store.putDocument(doc);
  const results = await Promise.allSettled(
    route.write.map(async (target): Promise<IndexedDocument['targets'][number]> => {
      try {
        await store.ensureIndex(target);
        const [vector] = await embedder.embed(target.model, target.dimension, [document.content]);
        const row = [{ id: document.id, version: document.version, embedding: vector! }];
        let result;
        try {
          result = await store.upsertEmbeddings(target.index, row);
        } catch (error) {
          // Dropped between ensureIndex and the upsert (a cleanup running now): ask again, which
          // either re-creates a plainly dropped index or says it is retired.
          if ((error as { code?: string }).code !== 'E_VECTOR_NO_INDEX') throw error;
          await store.ensureIndex(target);
          result = await store.upsertEmbeddings(target.index, row);
        }
        return { index: target.index, model: target.model, written: result.written === 1 };
      } catch (error) {
        if ((error as { code?: string }).code === 'E_VECTOR_INDEX_RETIRED')
          return { index: target.index, model: target.model, written: false, retired: true };
        throw error;
      }
    }),
  );
  const failed = results.flatMap((r, i) =>
    r.status === 'rejected' ? [`${route.write[i]!.index}: ${(r.reason as Error).message}`] : [],
  );
  if (failed.length > 0) {
    throw new VectorError(
      'E_VECTOR_WRITE',
      `document '${document.id}' v${document.version} is stored but not indexed in ${failed.join('; ')} (retry indexDocument)`,
    );
  }
  const targets = results.map((r) => (r as PromiseFulfilledResult<IndexedDocument['targets'][number]>).value);
  const retired = targets.filter((t) => t.retired).map((t) => t.index);
  if (retired.length > 0 && retired.length === targets.length) {
    throw new VectorError(
      'E_VECTOR_INDEX_RETIRED',
      `document '${document.id}' v${document.version} is stored but every write target of this route is retired (${retired.join(', ')}): this instance's bundle is behind the published plan`,
    );
  }
  return { document, targets, retired };
}

/** Deletes a document; its vectors go with it from every index (not only the route's). */
export function removeDocument(store: VectorStore, _route: EmbeddingRoute, id: string): Promise<boolean> {
  return store.deleteDocument(id);
}

export interface RoutedSearchAttempt {
  index: string;
  model: string;
  hits: number;
  /** Why this target gave nothing usable (missing index, embedding failure), when it failed. */
  error?: { code: string; message: string };
}

export interface RoutedSearch {
  hits: SearchHit[];
  /** The index whose results these are (undefined when no target had any). */
  servedBy: EmbeddingTarget | undefined;
  /** True when the first read target had no result and a later one answered. */
  fellBack: boolean;
  attempts: RoutedSearchAttempt[];
}

/**
 * Searches in the route's read order: the query is embedded with each target's own model (vectors
 * of different models are not comparable), and the first target with a result answers. During
 * dual-read that is "new first, old as fallback"; a target whose index does not exist yet or whose
 * embedding call fails counts as no result, so reads keep working while the new index fills.
 */
export async function searchDocuments(
  store: VectorStore,
  embedder: Embedder,
  route: EmbeddingRoute,
  query: string,
  k: number,
  options: SearchOptions = {},
): Promise<RoutedSearch> {
  const attempts: RoutedSearchAttempt[] = [];
  for (const target of route.read) {
    try {
      const [vector] = await embedder.embed(target.model, target.dimension, [query]);
      const hits = await store.search(target.index, vector!, k, options);
      attempts.push({ index: target.index, model: target.model, hits: hits.length });
      if (hits.length > 0) return { hits, servedBy: target, fellBack: attempts.length > 1, attempts };
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      attempts.push({
        index: target.index,
        model: target.model,
        hits: 0,
        error: { code: typeof code === 'string' ? code : 'E_VECTOR_SEARCH', message: (error as Error).message },
      });
    }
  }
  return { hits: [], servedBy: undefined, fellBack: false, attempts };
}
