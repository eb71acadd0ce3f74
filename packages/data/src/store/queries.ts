import { quoteIdent, type SqlExecutor } from './sql-client.ts';

/**
 * The evidence queries analysis runs. Plain SQL, identical on PGlite and PostgreSQL; every output
 * column is cast (int4 / float8) so both drivers return JS numbers.
 */

export type Subject = 'experiment' | 'flag' | 'canary' | 'model-rollout';

/** Optional narrowing shared by every query. */
export interface EvidenceFilter {
  env?: string;
  /** Only events at or after this time (epoch ms). */
  sinceMs?: number;
}

export interface VariantUnits {
  variant: string;
  units: number;
}

/** Unit-level summary of a metric: each unit contributes the mean of its observations. */
export interface VariantMetric {
  variant: string;
  n: number;
  mean: number;
  variance: number;
  /** Every unit's value is 0 or 1 (a conversion-style metric: use the proportion test). */
  binary: boolean;
}

export interface MetricSeries {
  /** Time range covered (epoch ms) and the bucket count. */
  fromMs: number;
  toMs: number;
  buckets: number;
  points: Array<{ variant: string; bucket: number; n: number; sum: number }>;
}

export interface ShadowSummary {
  pairs: number;
  scored: number;
  errors: number;
  avg: number | null;
  min: number | null;
  p10: number | null;
  p50: number | null;
}

export interface ShadowPairRow {
  timeMs: number;
  unitKey: string;
  requestId: string | null;
  similarity: number;
  primaryOutput: string | null;
  candidateOutput: string | null;
}

function filterSql(filter: EvidenceFilter, firstParam: number): { sql: string; params: unknown[] } {
  return {
    sql: ` AND ($${firstParam}::text IS NULL OR env = $${firstParam}) AND ($${firstParam + 1}::bigint IS NULL OR time_ms >= $${firstParam + 1})`,
    params: [filter.env ?? null, filter.sinceMs ?? null],
  };
}

export interface EvidenceQueries {
  exposureUnits(subject: Subject, key: string, filter?: EvidenceFilter): Promise<VariantUnits[]>;
  metricByVariant(subject: Subject, key: string, metric: string, filter?: EvidenceFilter): Promise<VariantMetric[]>;
  metricSeries(subject: Subject, key: string, metric: string, buckets: number, filter?: EvidenceFilter): Promise<MetricSeries | null>;
  shadowSummary(rollout: string, filter?: EvidenceFilter): Promise<ShadowSummary>;
  /** Counts of scored pairs in `bins` equal-width similarity bins over [0, 1] (values outside are clamped). */
  shadowHistogram(rollout: string, bins: number, filter?: EvidenceFilter): Promise<number[]>;
  shadowWorst(rollout: string, limit: number, filter?: EvidenceFilter): Promise<ShadowPairRow[]>;
  /** Rows per table (for status output and tests). */
  counts(): Promise<Record<'exposures' | 'metrics' | 'shadow_pairs' | 'migration_events', number>>;
}

export function evidenceQueries(db: SqlExecutor, schema: string): EvidenceQueries {
  const s = quoteIdent(schema);
  return {
    async exposureUnits(subject, key, filter = {}) {
      const f = filterSql(filter, 3);
      return db.query<VariantUnits>(
        // DISTINCT in a subquery lets PostgreSQL hash instead of sorting per group (much faster at 10M rows).
        `SELECT variant, count(*)::int AS units FROM (
           SELECT DISTINCT variant, unit_key FROM ${s}.exposures WHERE subject = $1 AND key = $2${f.sql}) AS units
         GROUP BY variant ORDER BY variant`,
        [subject, key, ...f.params],
      );
    },

    async metricByVariant(subject, key, metric, filter = {}) {
      const f = filterSql(filter, 4);
      return db.query<VariantMetric>(
        `WITH per_unit AS (
           SELECT variant, unit_key, avg(value) AS v FROM ${s}.metrics
           WHERE subject = $1 AND key = $2 AND metric = $3${f.sql}
           GROUP BY variant, unit_key)
         SELECT variant, count(*)::int AS n, avg(v)::float8 AS mean,
                coalesce(var_samp(v), 0)::float8 AS variance, bool_and(v = 0 OR v = 1) AS binary
         FROM per_unit GROUP BY variant ORDER BY variant`,
        [subject, key, metric, ...f.params],
      );
    },

    async metricSeries(subject, key, metric, buckets, filter = {}) {
      const f = filterSql(filter, 4);
      const bounds = await db.query<{ lo: number | null; hi: number | null }>(
        `SELECT min(time_ms)::float8 AS lo, max(time_ms)::float8 AS hi FROM ${s}.metrics
         WHERE subject = $1 AND key = $2 AND metric = $3${f.sql}`,
        [subject, key, metric, ...f.params],
      );
      const lo = bounds[0]?.lo;
      const hi = bounds[0]?.hi;
      if (lo === null || lo === undefined || hi === null || hi === undefined) return null;
      const points = await db.query<{ variant: string; bucket: number; n: number; sum: number }>(
        `SELECT variant, width_bucket(time_ms, $6::bigint, $7::bigint, $8::int)::int AS bucket,
                count(*)::int AS n, sum(value)::float8 AS sum
         FROM ${s}.metrics WHERE subject = $1 AND key = $2 AND metric = $3${f.sql}
         GROUP BY 1, 2 ORDER BY 1, 2`,
        [subject, key, metric, ...f.params, lo, hi + 1, buckets],
      );
      return { fromMs: lo, toMs: hi, buckets, points };
    },

    async shadowSummary(rollout, filter = {}) {
      const f = filterSql(filter, 2);
      const rows = await db.query<ShadowSummary>(
        `SELECT count(*)::int AS pairs, count(similarity)::int AS scored, count(error)::int AS errors,
                avg(similarity)::float8 AS avg, min(similarity)::float8 AS min,
                percentile_cont(0.1) WITHIN GROUP (ORDER BY similarity)::float8 AS p10,
                percentile_cont(0.5) WITHIN GROUP (ORDER BY similarity)::float8 AS p50
         FROM ${s}.shadow_pairs WHERE rollout = $1${f.sql}`,
        [rollout, ...f.params],
      );
      return rows[0] ?? { pairs: 0, scored: 0, errors: 0, avg: null, min: null, p10: null, p50: null };
    },

    async shadowHistogram(rollout, bins, filter = {}) {
      const f = filterSql(filter, 2);
      const rows = await db.query<{ bin: number; count: number }>(
        `SELECT least(greatest(width_bucket(similarity, 0, 1, $4::int), 1), $4::int)::int AS bin, count(*)::int AS count
         FROM ${s}.shadow_pairs WHERE rollout = $1 AND similarity IS NOT NULL${f.sql}
         GROUP BY 1 ORDER BY 1`,
        [rollout, ...f.params, bins],
      );
      const out = new Array<number>(bins).fill(0);
      for (const row of rows) out[row.bin - 1] = row.count;
      return out;
    },

    async shadowWorst(rollout, limit, filter = {}) {
      const f = filterSql(filter, 2);
      return db.query<ShadowPairRow>(
        `SELECT time_ms::float8 AS "timeMs", unit_key AS "unitKey", request_id AS "requestId", similarity,
                primary_output AS "primaryOutput", candidate_output AS "candidateOutput"
         FROM ${s}.shadow_pairs WHERE rollout = $1 AND similarity IS NOT NULL${f.sql}
         ORDER BY similarity ASC, time_ms ASC, source ASC, seq ASC LIMIT $4::int`,
        [rollout, ...f.params, limit],
      );
    },

    async counts() {
      const rows = await db.query<{ exposures: number; metrics: number; shadow_pairs: number; migration_events: number }>(
        `SELECT (SELECT count(*) FROM ${s}.exposures)::int AS exposures, (SELECT count(*) FROM ${s}.metrics)::int AS metrics,
                (SELECT count(*) FROM ${s}.shadow_pairs)::int AS shadow_pairs, (SELECT count(*) FROM ${s}.migration_events)::int AS migration_events`,
      );
      return rows[0]!;
    },
  };
}
