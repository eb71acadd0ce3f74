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

/**
 * Unit-level summary of a metric: each unit contributes the mean of its observations. Non-finite
 * values (NaN, ±Infinity — refused at the door, but a store may predate that) are never counted.
 */
export interface VariantMetric {
  variant: string;
  /** Units with at least one observation. */
  n: number;
  mean: number;
  variance: number;
  /** Every unit's value is 0 or 1 (a conversion-style metric: use the proportion test). */
  binary: boolean;
  /** Units whose largest value is above 0 (converted, for a binary metric). */
  converted: number;
  /** Every observation is 0 or 1. */
  zeroOne: boolean;
  /** For ratio metrics (Σvalues / Σobservations): sums over units of s, c, s², c², s·c (s = a unit's sum, c = its count). */
  sumS: number;
  sumC: number;
  sumSS: number;
  sumCC: number;
  sumSC: number;
}

/**
 * Unit-level time series: each unit sits in the bucket of its first observation (binary metrics:
 * its first exposure) with its current unit value, so the cumulative mean after the last bucket is
 * exactly the unit-level mean of the table.
 */
export interface MetricSeries {
  /** Time range covered (epoch ms) and the bucket count. */
  fromMs: number;
  toMs: number;
  buckets: number;
  /** Per variant and bucket: units, Σ unit values, Σ unit values². */
  points: Array<{ variant: string; bucket: number; n: number; sum: number; sumSquares: number }>;
}

export interface ShadowSummary {
  /** Shadow calls recorded (scored, failed, or neither). */
  pairs: number;
  /** Pairs with a similarity in [0, 1]: the only ones avg/min/p10/p50 are computed over. */
  scored: number;
  errors: number;
  /** Pairs whose similarity is outside [0, 1] or NaN (a broken scorer). */
  invalid: number;
  /** Scored pairs at or below the `lowAt` threshold asked for (null when none was). */
  atOrBelowMin: number | null;
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

/** SQL predicate: a finite float8 (in PostgreSQL NaN sorts above +Infinity, so this excludes it too). */
const finite = (column: string) => `${column} > '-Infinity'::float8 AND ${column} < 'Infinity'::float8`;
/** SQL predicate: a similarity that is a number in [0, 1] (NaN > 1 in PostgreSQL). */
const validSimilarity = `similarity >= 0 AND similarity <= 1`;

function filterSql(filter: EvidenceFilter, firstParam: number): { sql: string; params: unknown[] } {
  return {
    sql: ` AND ($${firstParam}::text IS NULL OR env = $${firstParam}) AND ($${firstParam + 1}::bigint IS NULL OR time_ms >= $${firstParam + 1})`,
    params: [filter.env ?? null, filter.sinceMs ?? null],
  };
}

export interface EvidenceQueries {
  exposureUnits(subject: Subject, key: string, filter?: EvidenceFilter): Promise<VariantUnits[]>;
  /** Distinct units exposed and the time span of their exposures (for traffic-based planning). */
  exposureSpan(
    subject: Subject,
    key: string,
    filter?: EvidenceFilter,
  ): Promise<{ units: number; fromMs: number | null; toMs: number | null }>;
  metricByVariant(subject: Subject, key: string, metric: string, filter?: EvidenceFilter): Promise<VariantMetric[]>;
  /** `binary`: units are the exposed ones (value 0 until they convert), as in the table. */
  metricSeries(
    subject: Subject,
    key: string,
    metric: string,
    buckets: number,
    filter?: EvidenceFilter,
    options?: { binary?: boolean },
  ): Promise<MetricSeries | null>;
  /** `lowAt`: also count scored pairs at or below this similarity (the gate's minimum). */
  shadowSummary(rollout: string, filter?: EvidenceFilter, options?: { lowAt?: number }): Promise<ShadowSummary>;
  /** Counts of scored pairs (similarity in [0, 1]) in `bins` equal-width bins over [0, 1]. */
  shadowHistogram(rollout: string, bins: number, filter?: EvidenceFilter): Promise<number[]>;
  shadowWorst(rollout: string, limit: number, filter?: EvidenceFilter): Promise<ShadowPairRow[]>;
  /** Rows per table (for status output and tests). */
  counts(): Promise<Record<'exposures' | 'metrics' | 'shadow_pairs' | 'migration_events', number>>;
}

/**
 * The evidence queries over `schema`, grouped by the table they read (exposures, metrics, shadow
 * pairs); each group's SQL is kept verbatim.
 */
export function evidenceQueries(db: SqlExecutor, schema: string): EvidenceQueries {
  const s = quoteIdent(schema);
  return {
    ...exposureQueries(db, s),
    ...metricQueries(db, s),
    ...shadowQueries(db, s),
    ...countQueries(db, s),
  };
}

/** Units exposed per variant and the span of their exposures. */
function exposureQueries(db: SqlExecutor, s: string): Pick<EvidenceQueries, 'exposureUnits' | 'exposureSpan'> {
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

    async exposureSpan(subject, key, filter = {}) {
      const f = filterSql(filter, 3);
      const rows = await db.query<{ units: number; fromMs: number | null; toMs: number | null }>(
        `SELECT count(DISTINCT unit_key)::int AS units, min(time_ms)::float8 AS "fromMs", max(time_ms)::float8 AS "toMs"
         FROM ${s}.exposures WHERE subject = $1 AND key = $2${f.sql}`,
        [subject, key, ...f.params],
      );
      return rows[0] ?? { units: 0, fromMs: null, toMs: null };
    },
  };
}

/** Per-unit metric aggregates per variant, overall and over time. */
function metricQueries(db: SqlExecutor, s: string): Pick<EvidenceQueries, 'metricByVariant' | 'metricSeries'> {
  return {
    async metricByVariant(subject, key, metric, filter = {}) {
      const f = filterSql(filter, 4);
      return db.query<VariantMetric>(
        `WITH per_unit AS (
           SELECT variant, unit_key, avg(value) AS v, max(value) AS mx, sum(value) AS s, count(*)::float8 AS c,
                  bool_and(value = 0 OR value = 1) AS zo
           FROM ${s}.metrics
           WHERE subject = $1 AND key = $2 AND metric = $3 AND ${finite('value')}${f.sql}
           GROUP BY variant, unit_key)
         SELECT variant, count(*)::int AS n, avg(v)::float8 AS mean,
                coalesce(var_samp(v), 0)::float8 AS variance, bool_and(v = 0 OR v = 1) AS binary,
                count(*) FILTER (WHERE mx > 0)::int AS converted, bool_and(zo) AS "zeroOne",
                sum(s)::float8 AS "sumS", sum(c)::float8 AS "sumC", sum(s * s)::float8 AS "sumSS",
                sum(c * c)::float8 AS "sumCC", sum(s * c)::float8 AS "sumSC"
         FROM per_unit GROUP BY variant ORDER BY variant`,
        [subject, key, metric, ...f.params],
      );
    },

    async metricSeries(subject, key, metric, buckets, filter = {}, options = {}) {
      const f = filterSql(filter, 4);
      // One row per unit: when it entered the series and its current value.
      // One grouping over exposures and conversions together (a join of the two groupings made
      // PGlite pick a nested loop: 30 s for 6,000 units).
      const units = options.binary
        ? `SELECT variant, min(t) AS first_ms, max(v) AS v FROM (
             SELECT variant, unit_key, time_ms AS t, 0 AS v FROM ${s}.exposures WHERE subject = $1 AND key = $2${f.sql}
             UNION ALL
             SELECT variant, unit_key, NULL, CASE WHEN value > 0 THEN 1 ELSE 0 END FROM ${s}.metrics
             WHERE subject = $1 AND key = $2 AND metric = $3 AND ${finite('value')}${f.sql}) AS x
           GROUP BY variant, unit_key HAVING count(t) > 0`
        : `SELECT variant, min(time_ms) AS first_ms, avg(value) AS v FROM ${s}.metrics
           WHERE subject = $1 AND key = $2 AND metric = $3 AND ${finite('value')}${f.sql} GROUP BY variant, unit_key`;
      const rows = await db.query<{
        variant: string;
        bucket: number;
        n: number;
        sum: number;
        sumSquares: number;
        lo: number;
        hi: number;
      }>(
        // Bounds as window aggregates: a cross join with a bounds CTE was re-aggregated per row.
        `SELECT variant, width_bucket(first_ms, lo, hi, $6::int)::int AS bucket,
                count(*)::int AS n, sum(v)::float8 AS sum, sum(v * v)::float8 AS "sumSquares",
                min(lo)::float8 AS lo, min(hi - 1)::float8 AS hi
         FROM (SELECT variant, first_ms, v, min(first_ms) OVER () AS lo, max(first_ms) OVER () + 1 AS hi FROM (${units}) AS u) AS b
         GROUP BY 1, 2 ORDER BY 1, 2`,
        [subject, key, metric, ...f.params, buckets],
      );
      if (rows.length === 0) return null;
      return {
        fromMs: rows[0]!.lo,
        toMs: rows[0]!.hi,
        buckets,
        points: rows.map(({ variant, bucket, n, sum, sumSquares }) => ({ variant, bucket, n, sum, sumSquares })),
      };
    },
  };
}

/** Scored shadow pairs of a model rollout: summary, histogram and the worst pairs. */
function shadowQueries(
  db: SqlExecutor,
  s: string,
): Pick<EvidenceQueries, 'shadowSummary' | 'shadowHistogram' | 'shadowWorst'> {
  return {
    async shadowSummary(rollout, filter = {}, options = {}) {
      const f = filterSql(filter, 2);
      const valid = `FILTER (WHERE ${validSimilarity})`;
      const rows = await db.query<ShadowSummary>(
        `SELECT count(*)::int AS pairs, count(*) ${valid}::int AS scored, count(error)::int AS errors,
                (count(similarity) - count(*) ${valid})::int AS invalid,
                CASE WHEN $4::float8 IS NULL THEN NULL ELSE count(*) FILTER (WHERE ${validSimilarity} AND similarity <= $4::float8) END::int AS "atOrBelowMin",
                avg(similarity) ${valid}::float8 AS avg, min(similarity) ${valid}::float8 AS min,
                percentile_cont(0.1) WITHIN GROUP (ORDER BY similarity) ${valid}::float8 AS p10,
                percentile_cont(0.5) WITHIN GROUP (ORDER BY similarity) ${valid}::float8 AS p50
         FROM ${s}.shadow_pairs WHERE rollout = $1${f.sql}`,
        [rollout, ...f.params, options.lowAt ?? null],
      );
      return (
        rows[0] ?? {
          pairs: 0,
          scored: 0,
          errors: 0,
          invalid: 0,
          atOrBelowMin: null,
          avg: null,
          min: null,
          p10: null,
          p50: null,
        }
      );
    },

    async shadowHistogram(rollout, bins, filter = {}) {
      const f = filterSql(filter, 2);
      const rows = await db.query<{ bin: number; count: number }>(
        `SELECT least(greatest(width_bucket(similarity, 0, 1, $4::int), 1), $4::int)::int AS bin, count(*)::int AS count
         FROM ${s}.shadow_pairs WHERE rollout = $1 AND ${validSimilarity}${f.sql}
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
         FROM ${s}.shadow_pairs WHERE rollout = $1 AND ${validSimilarity}${f.sql}
         ORDER BY similarity ASC, time_ms ASC, source ASC, seq ASC LIMIT $4::int`,
        [rollout, ...f.params, limit],
      );
    },
  };
}

/** Row counts per evidence table. */
function countQueries(db: SqlExecutor, s: string): Pick<EvidenceQueries, 'counts'> {
  return {
    async counts() {
      const rows = await db.query<{
        exposures: number;
        metrics: number;
        shadow_pairs: number;
        migration_events: number;
      }>(
        `SELECT (SELECT count(*) FROM ${s}.exposures)::int AS exposures, (SELECT count(*) FROM ${s}.metrics)::int AS metrics,
                (SELECT count(*) FROM ${s}.shadow_pairs)::int AS shadow_pairs, (SELECT count(*) FROM ${s}.migration_events)::int AS migration_events`,
      );
      return rows[0]!;
    },
  };
}
