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
 * The phase gates, the canary prefers: the pipeline's index is read first when the phase allows
 * reading it, otherwise the phase's order stands (an index the backfill has not filled is never
 * read just because a canary names it). `hybrid` retrieval (keyword + semantic, the article's new
 * pipeline) is done here: the library does exact semantic search, this re-ranks a wider candidate
 * set by a blend of cosine and query-term coverage.
 */
import type { EmbeddingRouteValue, SwitchyardClient } from '../../../packages/runtime/src/index.ts';
import { stem, STOPWORDS, tokenize } from '../../../src/eval/offline/text.ts';
import {
  indexDocument,
  searchDocuments,
  type DocumentInput,
  type Embedder,
  type EmbeddingRoute,
  type EmbeddingTarget,
  type VectorStore,
} from '../../../src/vectors/index.ts';
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
  pipeline: { canary: string; variant: 'candidate' | 'control'; reason: string; index: string; embeddingModel: string; retrieval: string; topK: number } | null;
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
  const terms = new Set(tokenize(query).filter((t) => !STOPWORDS.has(t)).map(stem));
  if (terms.size === 0) return 0;
  const present = new Set(tokenize(text).map(stem));
  let hit = 0;
  for (const t of terms) if (present.has(t)) hit++;
  return hit / terms.size;
}

/** Read order: the pipeline's index first when the phase lets it be read, then the phase's order. */
export function readOrder(route: EmbeddingRoute, pipelineIndex: string | null): EmbeddingTarget[] {
  const preferred = pipelineIndex === null ? undefined : route.read.find((t) => t.index === pipelineIndex);
  return preferred ? [preferred, ...route.read.filter((t) => t !== preferred)] : [...route.read];
}

export function createRetrieval(runtime: SwitchyardClient, store: VectorStore, embedder: Embedder, names: RetrievalNames = DEMO_RETRIEVAL): Retrieval {
  function route(): EmbeddingRouteValue {
    const r = runtime.embeddingRoute(names.migration);
    if (r.value === null) {
      throw new ApiError('E_SEARCH_UNAVAILABLE', `the config bundle has no embedding migration '${names.migration}' (${r.errorCode ?? r.reason}); search cannot tell which index to use`);
    }
    return r.value;
  }

  return {
    async index(doc) {
      const r = route();
      try {
        const indexed = await indexDocument(store, embedder, r, doc);
        return { id: indexed.document.id, version: indexed.document.version, phase: r.phase, writtenTo: indexed.targets };
      } catch (error) {
        throw new ApiError('E_SEARCH_UNAVAILABLE', `the document could not be indexed: ${(error as Error).message}`);
      }
    },

    async search(unitKey, query, options = {}) {
      const r = route();
      const c = runtime.canary(names.canary, { unitKey });
      const pipeline = c.value
        ? { canary: names.canary, variant: c.value.variant, reason: c.reason, index: c.value.pipeline.index, embeddingModel: c.value.pipeline.embeddingModel, retrieval: c.value.pipeline.retrieval, topK: c.value.pipeline.topK }
        : null;
      const order = readOrder(r, pipeline?.index ?? null);
      const topK = Math.max(1, Math.min(50, pipeline?.topK ?? DEFAULT_TOP_K));
      const hybrid = pipeline?.retrieval === 'hybrid';
      const searchOptions = options.tenant === undefined ? {} : { tenant: options.tenant };
      let routed;
      try {
        // Hybrid: a wider semantic candidate set, re-ranked below with the keyword score.
        routed = await searchDocuments(store, embedder, { phase: r.phase, write: r.write, read: order }, query, hybrid ? topK * 4 : topK, searchOptions);
      } catch (error) {
        throw new ApiError('E_SEARCH_UNAVAILABLE', `search failed: ${(error as Error).message}`);
      }
      const answeredBy = routed.servedBy?.index ?? null;
      const docs = await Promise.all(routed.hits.map((h) => store.getDocument(h.id)));
      let hits = routed.hits.flatMap((h, i) => {
        const d = docs[i];
        return d ? [{ id: h.id, score: h.score, index: answeredBy ?? '', content: d.content }] : [];
      });
      if (hybrid) {
        hits = hits
          .map((h) => ({ ...h, score: 0.7 * h.score + 0.3 * termCoverage(query, h.content) }))
          .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      }
      return { pipeline, phase: r.phase, readOrder: order.map((t) => t.index), answeredBy, fellBack: routed.fellBack, hits: hits.slice(0, topK) };
    },
  };
}
