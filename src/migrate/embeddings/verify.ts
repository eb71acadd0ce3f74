/**
 * Verification before a phase may advance: counts (one current vector per document, except dead
 * letters), dimensions, and how much the new index agrees with the old one — the top-k overlap on
 * sample queries (sampled documents' own text, a deterministic sample). Results are stored in
 * `migration_verifications`; `--advance` reads the latest one.
 */
import { createHash } from 'node:crypto';
import type { EmbeddingMigrationResource } from '../../config/index.ts';
import { quoteIdent } from '@switchyard/data';
import type { Embedder, IndexInfo, VectorStore } from '@switchyard/data';
import { appTableCountFacts, appTableFingerprint, verifyAppTable } from './app-table/verify.ts';
import { outstandingDeadLetter } from './checkpoint.ts';
import { planFingerprint, type VerifySettings } from './plan.ts';

export interface VerifyCheck {
  /** `error`: the verification could not run (see `failedVerification`). */
  name: 'index' | 'dimension' | 'counts' | 'dead-letters' | 'overlap' | 'error';
  passed: boolean;
  detail: string;
}

export interface CountFacts {
  documents: number;
  /** Vectors in the target, of any version. */
  embeddings: number;
  /** Vectors of the document's current version. */
  current: number;
  /**
   * Documents dead-lettered at their current version with no vector of that version: the only
   * dead letters that explain a gap (older dead letters, or ones the application has since
   * indexed, do not count).
   */
  deadLetters: number;
  /** Documents with no vector in the target (dead letters excluded): count and the first ids. */
  missing: number;
  missingIds: string[];
  /** Vectors of a version other than the document's current one (either direction is wrong; dead letters excluded). */
  stale: number;
  staleIds: string[];
}

export interface VerifyReport {
  migration: string;
  env: string;
  phase: string;
  passed: boolean;
  checks: VerifyCheck[];
  counts: CountFacts | undefined;
  dimension: { expected: number; catalog: number | undefined; stored: [number, number] | undefined };
  overlap:
    | { sampleQueries: number; topK: number; average: number; min: number; selfRecall: number; threshold: number }
    | undefined;
  planFingerprint: string;
  dataFingerprint: string;
  durationMs: number;
  /** Row id in migration_verifications (set once stored). */
  id?: number;
  createdAt?: string;
}

const LIST = 20;
const QUERY_CHARS = 2000;

/** Counts one current vector per document; cheap enough to re-run at --advance time. */
export async function countFacts(store: VectorStore, plan: EmbeddingMigrationResource): Promise<CountFacts> {
  if (plan.storage) return appTableCountFacts(store, plan);
  const s = quoteIdent(store.schema);
  const target = await store.tableOf(plan.to.index);
  const args = [plan.migration, plan.to.index];
  const deadLetter = outstandingDeadLetter(s, target);
  const [docs, embs, current, dead, missing, stale] = await Promise.all([
    store.countDocuments(),
    store.countEmbeddings(plan.to.index),
    store.client.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${s}.documents d JOIN ${target} e ON e.doc_id = d.id AND e.version = d.version`,
    ),
    store.client.query<{ n: string }>(`SELECT count(*) AS n FROM ${s}.documents d WHERE ${deadLetter}`, args),
    store.client.query<{ id: string; n: string }>(
      `SELECT d.id, count(*) OVER () AS n FROM ${s}.documents d LEFT JOIN ${target} e ON e.doc_id = d.id WHERE e.doc_id IS NULL AND NOT ${deadLetter} ORDER BY d.id LIMIT ${LIST}`,
      args,
    ),
    store.client.query<{ id: string; n: string }>(
      `SELECT d.id, count(*) OVER () AS n FROM ${s}.documents d JOIN ${target} e ON e.doc_id = d.id WHERE e.version <> d.version AND NOT ${deadLetter} ORDER BY d.id LIMIT ${LIST}`,
      args,
    ),
  ]);
  return {
    documents: docs,
    embeddings: embs,
    current: Number(current[0]!.n),
    deadLetters: Number(dead[0]!.n),
    missing: Number(missing[0]?.n ?? 0),
    missingIds: missing.map((r) => r.id),
    stale: Number(stale[0]?.n ?? 0),
    staleIds: stale.map((r) => r.id),
  };
}

/** Changes whenever a document or a target vector is written or deleted. */
export async function dataFingerprint(store: VectorStore, plan: EmbeddingMigrationResource): Promise<string> {
  if (plan.storage) return appTableFingerprint(store, plan);
  const s = quoteIdent(store.schema);
  const parts: unknown[] = [];
  for (const table of [
    `${s}.documents`,
    (await store.getIndex(plan.to.index)) ? await store.tableOf(plan.to.index) : undefined,
  ]) {
    if (!table) {
      parts.push('no-index');
      continue;
    }
    const rows = await store.client.query<Record<string, unknown>>(
      `SELECT count(*) AS n, coalesce(max(version), 0) AS mx, coalesce(sum(version), 0) AS sm FROM ${table}`,
    );
    parts.push([String(rows[0]!.n), String(rows[0]!.mx), String(rows[0]!.sm)]);
  }
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16);
}

/** Evaluates the count checks (shared by verify and --advance). */
export function countChecks(counts: CountFacts, settings: VerifySettings): VerifyCheck[] {
  // Every document is current, missing, stale or an outstanding dead letter, so with none missing
  // or stale the equality follows; it is kept as a cross-check of the queries.
  const countsOk =
    counts.missing === 0 && counts.stale === 0 && counts.current === counts.documents - counts.deadLetters;
  const list = (ids: string[], n: number) => (n === 0 ? '' : ` (${ids.join(', ')}${n > ids.length ? ', …' : ''})`);
  return [
    {
      name: 'counts',
      passed: countsOk,
      detail: `${counts.current} vectors for ${counts.documents} documents − ${counts.deadLetters} dead letters; missing ${counts.missing}${list(counts.missingIds, counts.missing)}; stale ${counts.stale}${list(counts.staleIds, counts.stale)}`,
    },
    {
      name: 'dead-letters',
      passed: counts.deadLetters <= settings.maxDeadLetters,
      detail: `${counts.deadLetters} dead letters (at most ${settings.maxDeadLetters} allowed)`,
    },
  ];
}

export interface VerifyOptions {
  store: VectorStore;
  embedder: Embedder;
  plan: EmbeddingMigrationResource;
  settings: VerifySettings;
  env: string;
  phase: string;
}

/** Runs every check; does not store the result (see `storeVerification`). */
export async function verifyMigration(options: VerifyOptions): Promise<VerifyReport> {
  const { store, plan } = options;
  const started = Date.now();
  const report: VerifyReport = {
    migration: plan.migration,
    env: options.env,
    phase: options.phase,
    passed: false,
    checks: [],
    counts: undefined,
    dimension: { expected: plan.to.dimension, catalog: undefined, stored: undefined },
    overlap: undefined,
    planFingerprint: planFingerprint(plan),
    dataFingerprint: await dataFingerprint(store, plan),
    durationMs: 0,
  };
  if (plan.storage) await verifyAppTable(options, report);
  else await verifyStoreIndex(options, report);
  report.passed = report.checks.every((c) => c.passed);
  report.durationMs = Date.now() - started;
  return report;
}

/** The checks on Switchyard's own tables: the target index, its dimension, counts and overlap. */
async function verifyStoreIndex(options: VerifyOptions, report: VerifyReport): Promise<void> {
  const { store, plan, settings } = options;
  const checks = report.checks;
  const info = await store.getIndex(plan.to.index);
  if (!info) {
    checks.push({
      name: 'index',
      passed: false,
      detail: `the target index '${plan.to.index}' does not exist (run the backfill first)`,
    });
    return;
  }
  const modelOk = info.model === plan.to.model;
  checks.push({
    name: 'index',
    passed: modelOk,
    detail: `target '${info.index}' holds ${info.model} (${info.vectorType})${modelOk ? '' : `, the plan says ${plan.to.model}`}`,
  });
  const dimension = await indexDimension(store, info, plan.to.dimension);
  report.dimension = dimension.facts;
  checks.push(dimension.check);

  const counts = await countFacts(store, plan);
  report.counts = counts;
  checks.push(...countChecks(counts, settings));

  // Overlap: the same queries through both indexes, each embedded with its own model.
  const oldIndex = await store.getIndex(plan.from.index);
  if (!modelOk || !dimension.check.passed) {
    checks.push({
      name: 'overlap',
      passed: false,
      detail: 'not measured: the target index does not match the plan (see above)',
    });
  } else if (!oldIndex) {
    checks.push({
      name: 'overlap',
      passed: false,
      detail: `the old index '${plan.from.index}' does not exist: nothing to compare against`,
    });
  } else {
    const s = quoteIdent(store.schema);
    const sample = await store.client.query<{ id: string; content: string }>(
      `SELECT id, content FROM ${s}.documents WHERE content <> '' ORDER BY md5(id || $1), id LIMIT $2`,
      [plan.migration, settings.sampleQueries],
    );
    const overlap = await overlapCheck(options, sample, async (side, vector, k) =>
      (await store.search(side === 'from' ? plan.from.index : plan.to.index, vector, k)).map((h) => h.id),
    );
    report.overlap = overlap.facts;
    checks.push(overlap.check);
  }
}

/** Dimension: the catalog, and what is actually stored. */
async function indexDimension(
  store: VectorStore,
  info: IndexInfo,
  expected: number,
): Promise<{ facts: VerifyReport['dimension']; check: VerifyCheck }> {
  const table = await store.tableOf(info.index);
  const dims = info.vectorType === 'pgvector' ? 'vector_dims(embedding)' : 'array_length(embedding, 1)';
  const stored = await store.client.query<{ lo: number | null; hi: number | null }>(
    `SELECT min(${dims}) AS lo, max(${dims}) AS hi FROM ${table}`,
  );
  const lo = stored[0]?.lo === null || stored[0]?.lo === undefined ? undefined : Number(stored[0].lo);
  const hi = stored[0]?.hi === null || stored[0]?.hi === undefined ? undefined : Number(stored[0].hi);
  const passed = info.dimension === expected && (lo === undefined || (lo === expected && hi === expected));
  return {
    facts: { expected, catalog: info.dimension, stored: lo === undefined ? undefined : [lo, hi!] },
    check: {
      name: 'dimension',
      passed,
      detail: `expected ${expected}; index ${info.dimension}; stored ${lo === undefined ? '(no vectors)' : lo === hi ? lo : `${lo}..${hi}`}`,
    },
  };
}

/** Top-k ids for a query vector, on the old (`from`) or the new (`to`) side. */
export type OverlapSearch = (side: 'from' | 'to', vector: Float32Array, k: number) => Promise<string[]>;

/**
 * The top-k overlap: each sampled document's text, embedded with each model, searched on its own
 * side; and how often the new side finds the document by its own text.
 */
export async function overlapCheck(
  options: VerifyOptions,
  sample: ReadonlyArray<{ id: string; content: string }>,
  search: OverlapSearch,
): Promise<{ facts: VerifyReport['overlap']; check: VerifyCheck }> {
  const { embedder, plan, settings } = options;
  if (sample.length === 0)
    return { facts: undefined, check: { name: 'overlap', passed: true, detail: 'no documents to sample' } };
  const texts = sample.map((r) => r.content.slice(0, QUERY_CHARS));
  const [oldVectors, newVectors] = await Promise.all([
    embedBatched(embedder, plan.from.model, plan.from.dimension, texts),
    embedBatched(embedder, plan.to.model, plan.to.dimension, texts),
  ]);
  let sum = 0;
  let min = 1;
  let self = 0;
  for (let i = 0; i < sample.length; i++) {
    const [a, b] = await Promise.all([
      search('from', oldVectors[i]!, settings.topK),
      search('to', newVectors[i]!, settings.topK),
    ]);
    const denominator = Math.max(1, Math.min(settings.topK, Math.max(a.length, b.length)));
    const inOld = new Set(a);
    const overlap = b.filter((id) => inOld.has(id)).length / denominator;
    sum += overlap;
    min = Math.min(min, overlap);
    if (b.includes(sample[i]!.id)) self++;
  }
  const average = sum / sample.length;
  return {
    facts: {
      sampleQueries: sample.length,
      topK: settings.topK,
      average,
      min,
      selfRecall: self / sample.length,
      threshold: settings.minOverlap,
    },
    check: {
      name: 'overlap',
      passed: average >= settings.minOverlap,
      detail: `overlap@${settings.topK} ${average.toFixed(3)} (min ${min.toFixed(3)}) over ${sample.length} sampled documents, threshold ${settings.minOverlap}; each document found by its own text in the new top-${settings.topK}: ${((self / sample.length) * 100).toFixed(1)}%`,
    },
  };
}

/**
 * The report of a verification that could not run (the embeddings API or the database failed):
 * failed, with the error as its one check. Stored like any other, so the latest verification never
 * silently stays an older pass.
 */
export async function failedVerification(
  options: Omit<VerifyOptions, 'embedder'>,
  error: { code: string; message: string },
): Promise<VerifyReport> {
  const { store, plan } = options;
  return {
    migration: plan.migration,
    env: options.env,
    phase: options.phase,
    passed: false,
    checks: [{ name: 'error', passed: false, detail: `${error.code} ${error.message}` }],
    counts: undefined,
    dimension: { expected: plan.to.dimension, catalog: undefined, stored: undefined },
    overlap: undefined,
    planFingerprint: planFingerprint(plan),
    dataFingerprint: await dataFingerprint(store, plan).catch(() => 'unknown'),
    durationMs: 0,
  };
}

/** Embeds `texts` in requests of at most 100. */
export async function embedBatched(
  embedder: Embedder,
  model: string,
  dimension: number,
  texts: string[],
): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (let i = 0; i < texts.length; i += 100)
    out.push(...(await embedder.embed(model, dimension, texts.slice(i, i + 100))));
  return out;
}

/** Stores a verification; returns it with its id. */
export async function storeVerification(store: VectorStore, report: VerifyReport): Promise<VerifyReport> {
  const s = quoteIdent(store.schema);
  const rows = await store.client.query<{ id: string | number; created_at: string | Date }>(
    `INSERT INTO ${s}.migration_verifications (migration, env, phase, plan_fingerprint, data_fingerprint, passed, report) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb) RETURNING id, created_at`,
    [
      report.migration,
      report.env,
      report.phase,
      report.planFingerprint,
      report.dataFingerprint,
      report.passed,
      JSON.stringify(report),
    ],
  );
  const created = rows[0]!.created_at;
  return {
    ...report,
    id: Number(rows[0]!.id),
    createdAt: created instanceof Date ? created.toISOString() : new Date(created).toISOString(),
  };
}

/** The latest stored verification of this migration in `env`, or undefined. */
export async function latestVerification(
  store: VectorStore,
  migration: string,
  env: string,
): Promise<VerifyReport | undefined> {
  const s = quoteIdent(store.schema);
  const rows = await store.client.query<{
    id: string | number;
    report: VerifyReport | string;
    created_at: string | Date;
  }>(
    `SELECT id, report, created_at FROM ${s}.migration_verifications WHERE migration = $1 AND env = $2 ORDER BY id DESC LIMIT 1`,
    [migration, env],
  );
  const row = rows[0];
  if (!row) return undefined;
  const report = typeof row.report === 'string' ? (JSON.parse(row.report) as VerifyReport) : row.report;
  const created =
    row.created_at instanceof Date ? row.created_at.toISOString() : new Date(row.created_at).toISOString();
  return { ...report, id: Number(row.id), createdAt: created };
}
