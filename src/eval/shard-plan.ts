/**
 * How many CI shards an eval needs, from the change itself: one shard per `perShard` cases to run,
 * at most `max`. A PR touching one prompt stays on one runner; a model pin change that re-evaluates
 * every prompt spreads out. Pure.
 */
export interface ShardPlan {
  cases: number;
  shards: number;
  /** `i/n` for each shard: the values of the workflow's matrix (and of `--shard`). */
  matrix: string[];
}

export const DEFAULT_CASES_PER_SHARD = 40;
export const DEFAULT_MAX_SHARDS = 8;

export function planShards(cases: number, perShard = DEFAULT_CASES_PER_SHARD, max = DEFAULT_MAX_SHARDS): ShardPlan {
  const shards = Math.max(1, Math.min(max, Math.ceil(cases / Math.max(1, perShard))));
  return { cases, shards, matrix: Array.from({ length: shards }, (_x, i) => `${i + 1}/${shards}`) };
}
