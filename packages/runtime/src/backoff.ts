/**
 * The repository's one retry-delay rule: exponential backoff from `baseMs`, doubling per attempt up
 * to `maxMs`, with a choice of jitter, never shorter than what a server asked for with Retry-After.
 * Pure: the random source is an option so schedules are testable. Used by the runtime's poller,
 * the migration runners and the event store's batch writer (docs/ARCHITECTURE.md).
 */
export interface BackoffOptions {
  /** First delay's ceiling (default 500 ms). */
  baseMs?: number;
  /** Largest delay (default 30 s); a Retry-After above it is still honoured. */
  maxMs?: number;
  /**
   * `full` (default): uniform in [0, ceiling) — spreads a fleet the most (AWS architecture blog).
   * `equal`: half fixed, half random — spread out but never near zero.
   * `none`: the ceiling itself.
   */
  jitter?: 'full' | 'equal' | 'none';
  /** What the server asked for (Retry-After), in milliseconds: the delay is at least this. */
  retryAfterMs?: number;
  /** Source of randomness in [0, 1) (tests pass a fixed one). */
  random?: () => number;
}

/** Delay before retry number `attempt` (0 = the first retry), in whole milliseconds. */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const base = options.baseMs ?? 500;
  const max = options.maxMs ?? 30_000;
  const ceiling = Math.min(max, base * 2 ** Math.min(Math.max(0, attempt), 30));
  const jitter = options.jitter ?? 'full';
  const random = options.random ?? Math.random;
  const delay =
    jitter === 'none'
      ? ceiling
      : jitter === 'equal'
        ? Math.round(ceiling / 2 + (ceiling / 2) * random())
        : Math.floor(random() * ceiling);
  const asked = options.retryAfterMs;
  return asked !== undefined && asked > delay ? Math.ceil(asked) : delay;
}
