/**
 * Retrieval for the chat service: a thin layer over the vector library (src/vectors) that combines
 * two runtime decisions.
 *
 * - **Which pipeline** a user gets is the canary's: `canary('rag-hybrid-large', { unitKey })` →
 *   `{ variant, pipeline: { index, embeddingModel, retrieval, topK } }` (the article's
 *   `searchDocumentsWithCanary`, 10 % of users on the new pipeline).
 * - **Which indexes may be read and written** is the embedding migration's phase:
 *   `embeddingRoute('docs-embeddings-3-large')` → `{ phase, write[], read[] }` (dual-write →
 *   backfill → dual-read → cutover → complete). Writes go to every `write` target; reads follow
 *   `read`, first target with results answers (dual-read: new first, old as fallback).
 *
 * **Precedence** (one rule, no tug of war): the migration phase owns the read *order* of the index
 * pair it migrates — dual-read reads new first and falls back to old, cutover and complete read only
 * the new index — for every user, canary or not. The canary chooses retrieval mode and topK, and its
 * own index only when that index is not part of the migration (neither its `from` nor its `to`):
 * then the pipeline reads that index alone. So the phase whose purpose is to exercise the new index
 * in production does so for all traffic, and an index the backfill has not filled is never read just
 * because a canary names it. `hybrid` retrieval (keyword + semantic, the article's new pipeline) is
 * done here: the library does exact semantic search, this re-ranks a wider candidate set by a blend
 * of cosine and query-term coverage.
 */
import type { EmbeddingRouteValue, SwitchyardClient } from '@switchyard/runtime';
import {
  indexDocument,
  searchDocuments,
  stem,
  STOPWORDS,
  tokenize,
  type DocumentInput,
  type Embedder,
  type EmbeddingRoute,
  type EmbeddingTarget,
  type VectorStore,
} from '@switchyard/data';
import { ApiError } from './errors.ts';

export interface RetrievalNames {
  canary: string;
  migration: string;
}

export const DEMO_RETRIEVAL: RetrievalNames = { canary: 'rag-hybrid-large', migration: 'docs-embeddings-3-large' };

export interface SearchHitView {
  id: string;
  score: number;
  index: string;
  content: string;
}

export interface SearchResult {
  /** The canary's decision (null when the bundle has no such canary: the phase's order and semantic top-5 apply). */
  pipeline: {
    canary: string;
    variant: 'candidate' | 'control';
    reason: string;
    index: string;
    embeddingModel: string;
    retrieval: string;
    topK: number;
  } | null;
  phase: EmbeddingRouteValue['phase'];
  /** Indexes in the order they were (to be) tried. */
  readOrder: string[];
  /** The index whose results these are (null when none had any). */
  answeredBy: string | null;
  fellBack: boolean;
  hits: SearchHitView[];
}

export interface IndexResult {
  id: string;
  version: number;
  phase: EmbeddingRouteValue['phase'];
  writtenTo: Array<{ index: string; model: string; written: boolean }>;
}

export interface Retrieval {
  search(unitKey: string, query: string, options?: { tenant?: string }): Promise<SearchResult>;
  index(doc: DocumentInput): Promise<IndexResult>;
}

const DEFAULT_TOP_K = 5;

/** Share of query terms (stemmed content words) present in the text: the keyword half of hybrid retrieval. */
export function termCoverage(query: string, text: string): number {
  const terms = new Set(
    tokenize(query)
      .filter((t) => !STOPWORDS.has(t))
      .map(stem),
  );
  if (terms.size === 0) return 0;
  const present = new Set(tokenize(text).map(stem));
  let hit = 0;
  for (const t of terms) if (present.has(t)) hit++;
  return hit / terms.size;
}

/**
 * Read order of a search. The phase's `read` order stands whenever the pipeline's index is one of
 * the migration's pair (`migrationIndexes`) or there is no pipeline; a pipeline index outside the
 * migration is read alone (`pipelineTarget`: its catalogued model and dimension), or, when it is
 * not catalogued, the phase's order stands.
 */
export function readOrder(
  route: EmbeddingRoute,
  migrationIndexes: ReadonlySet<string>,
  pipelineIndex: string | null,
  pipelineTarget: EmbeddingTarget | undefined,
): EmbeddingTarget[] {
  if (pipelineIndex === null || migrationIndexes.has(pipelineIndex) || pipelineTarget === undefined)
    return [...route.read];
  return [pipelineTarget];
}

/** Whether an error is the client's document being refused (not the store failing). */
function isDocumentError(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return code === 'E_VECTOR_DOCUMENT' || code === 'E_VECTOR_VALUE';
}

/** Metadata limits of a document (client input; the store keeps it as jsonb). */
export const METADATA_LIMITS = { maxBytes: 16 * 1024, maxDepth: 8 } as const;

/**
 * Checks client-supplied document metadata: a plain object, nested at most `maxDepth` levels, at
 * most `maxBytes` as JSON, no NUL character in a key or string (jsonb cannot hold U+0000).
 * Iterative (a deeply nested body must not overflow the stack here either).
 */
export function checkMetadata(
  value: unknown,
  limits: { maxBytes: number; maxDepth: number } = METADATA_LIMITS,
): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value))
    throw new ApiError('E_BAD_REQUEST', "'metadata' must be a JSON object");
  const stack: Array<{ v: unknown; depth: number }> = [{ v: value, depth: 1 }];
  while (stack.length > 0) {
    const { v, depth } = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth > limits.maxDepth)
      throw new ApiError('E_BAD_REQUEST', `'metadata' is nested deeper than ${limits.maxDepth} levels`);
    for (const [key, child] of Object.entries(v)) {
      if (key.includes('\u0000') || (typeof child === 'string' && child.includes('\u0000')))
        throw new ApiError('E_BAD_REQUEST', "'metadata' must not contain the NUL character (U+0000)");
      if (typeof child === 'object' && child !== null) stack.push({ v: child, depth: depth + 1 });
    }
  }
  const bytes = Buffer.byteLength(JSON.stringify(value));
  if (bytes > limits.maxBytes)
    throw new ApiError(
      'E_BAD_REQUEST',
      `'metadata' is ${bytes} bytes as JSON; at most ${limits.maxBytes} are accepted`,
    );
  return value as Record<string, unknown>;
}

export function createRetrieval(
  runtime: SwitchyardClient,
  store: VectorStore,
  embedder: Embedder,
  names: RetrievalNames = DEMO_RETRIEVAL,
): Retrieval {
  function route(): EmbeddingRouteValue {
    const r = runtime.embeddingRoute(names.migration);
    if (r.value === null) {
      throw new ApiError(
        'E_SEARCH_UNAVAILABLE',
        `the config bundle has no embedding migration '${names.migration}'; search cannot tell which index to use`,
        undefined,
        `embeddingRoute: ${r.errorCode ?? r.reason}`,
      );
    }
    return r.value;
  }

  return {
    async index(doc) {
      const r = route();
      try {
        const indexed = await indexDocument(store, embedder, r, doc);
        return {
          id: indexed.document.id,
          version: indexed.document.version,
          phase: r.phase,
          writtenTo: indexed.targets,
        };
      } catch (error) {
        // The library refusing the document is the client's to fix; anything else is ours, and its
        // text (database, embeddings provider) is logged, never sent.
        if (isDocumentError(error))
          throw new ApiError('E_BAD_REQUEST', `the document was refused: ${(error as Error).message}`);
        throw new ApiError(
          'E_SEARCH_UNAVAILABLE',
          'the document could not be indexed; retry later',
          undefined,
          `indexDocument: ${(error as Error).message}`,
        );
      }
    },

    async search(unitKey, query, options = {}) {
      const r = route();
      const pipeline = canaryPipeline(runtime, names.canary, unitKey);
      const topK = Math.max(1, Math.min(50, pipeline?.topK ?? DEFAULT_TOP_K));
      const hybrid = pipeline?.retrieval === 'hybrid';
      const searchOptions = options.tenant === undefined ? {} : { tenant: options.tenant };
      const { order, routed } = await routedSearch(
        { runtime, store, embedder, migration: names.migration },
        r,
        pipeline,
        query,
        // Hybrid: a wider semantic candidate set, re-ranked below with the keyword score.
        hybrid ? topK * 4 : topK,
        searchOptions,
      );
      const answeredBy = routed.servedBy?.index ?? null;
      let hits = await hitContents(store, routed.hits, answeredBy ?? '');
      if (hybrid) {
        hits = hits
          .map((h) => ({ ...h, score: 0.7 * h.score + 0.3 * termCoverage(query, h.content) }))
          .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      }
      return {
        pipeline,
        phase: r.phase,
        readOrder: order.map((t) => t.index),
        answeredBy,
        fellBack: routed.fellBack,
        hits: hits.slice(0, topK),
      };
    },
  };
}

/** The index pair the migration moves between (from the bundle; the route's targets when absent). */
function migrationIndexes(runtime: SwitchyardClient, migration: string, r: EmbeddingRouteValue): Set<string> {
  const m = runtime.definition('embeddingMigrations', migration);
  return new Set(m ? [m.from.index, m.to.index] : [...r.read, ...r.write].map((t) => t.index));
}

/** The retrieval pipeline the canary assigns this unit, or null without a canary answer. */
function canaryPipeline(runtime: SwitchyardClient, canary: string, unitKey: string): SearchResult['pipeline'] {
  const c = runtime.canary(canary, { unitKey });
  return c.value
    ? {
        canary,
        variant: c.value.variant,
        reason: c.reason,
        index: c.value.pipeline.index,
        embeddingModel: c.value.pipeline.embeddingModel,
        retrieval: c.value.pipeline.retrieval,
        topK: c.value.pipeline.topK,
      }
    : null;
}

/**
 * Search in the migration's read order, with the pipeline's own index first when it is not part of
 * the migration. Any failure is E_SEARCH_UNAVAILABLE; its text is logged, never sent.
 */
async function routedSearch(
  deps: { runtime: SwitchyardClient; store: VectorStore; embedder: Embedder; migration: string },
  r: EmbeddingRouteValue,
  pipeline: SearchResult['pipeline'],
  query: string,
  limit: number,
  searchOptions: { tenant?: string },
): Promise<{ order: EmbeddingTarget[]; routed: Awaited<ReturnType<typeof searchDocuments>> }> {
  const { store, embedder } = deps;
  try {
    const pair = migrationIndexes(deps.runtime, deps.migration, r);
    let own: EmbeddingTarget | undefined;
    if (pipeline !== null && !pair.has(pipeline.index)) {
      const info = await store.getIndex(pipeline.index);
      // Read it only with the model it was embedded with (vectors of other models are not comparable).
      if (info && info.model === pipeline.embeddingModel)
        own = { index: info.index, model: info.model, dimension: info.dimension };
    }
    const order = readOrder(r, pair, pipeline?.index ?? null, own);
    const routed = await searchDocuments(
      store,
      embedder,
      { phase: r.phase, write: r.write, read: order },
      query,
      limit,
      searchOptions,
    );
    return { order, routed };
  } catch (error) {
    throw new ApiError(
      'E_SEARCH_UNAVAILABLE',
      'search is unavailable right now; retry later',
      undefined,
      `search: ${(error as Error).message}`,
    );
  }
}

/** The hits with their documents' text; a hit whose document is gone is dropped. */
async function hitContents(
  store: VectorStore,
  hits: ReadonlyArray<{ id: string; score: number }>,
  index: string,
): Promise<SearchHitView[]> {
  let docs;
  try {
    docs = await Promise.all(hits.map((h) => store.getDocument(h.id)));
  } catch (error) {
    throw new ApiError(
      'E_SEARCH_UNAVAILABLE',
      'search is unavailable right now; retry later',
      undefined,
      `getDocument: ${(error as Error).message}`,
    );
  }
  return hits.flatMap((h, i) => {
    const d = docs[i];
    return d ? [{ id: h.id, score: h.score, index, content: d.content }] : [];
  });
}
