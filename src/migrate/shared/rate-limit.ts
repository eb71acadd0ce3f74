import { sleep } from './backoff.ts';

export interface RateLimitOptions {
  /** Requests per minute (undefined: no limit). */
  requestsPerMinute?: number;
  /** Tokens per minute (undefined: no limit). */
  tokensPerMinute?: number;
  /** Clock (tests pass a fake one). */
  now?: () => number;
}

/**
 * Paces calls so that requests and tokens never exceed their per-minute budgets: each call reserves
 * the next free slot on both schedules (a virtual-time scheduler, GCRA-style, with no burst) and
 * waits until it starts. Reservations are taken in call order, so concurrent workers share the
 * budget fairly.
 */
export class RateLimiter {
  readonly #requestInterval: number;
  readonly #tokenInterval: number;
  readonly #now: () => number;
  #nextRequest = 0;
  #nextToken = 0;

  constructor(options: RateLimitOptions = {}) {
    this.#requestInterval = options.requestsPerMinute ? 60_000 / options.requestsPerMinute : 0;
    this.#tokenInterval = options.tokensPerMinute ? 60_000 / options.tokensPerMinute : 0;
    this.#now = options.now ?? Date.now;
  }

  /** Milliseconds the caller must wait before a call of `tokens` tokens; the slot is reserved. */
  reserve(tokens = 0): number {
    const now = this.#now();
    const start = Math.max(now, this.#nextRequest, this.#nextToken);
    this.#nextRequest = start + this.#requestInterval;
    this.#nextToken = start + tokens * this.#tokenInterval;
    return start - now;
  }

  /** Waits for a slot (see `reserve`). */
  async acquire(tokens = 0, signal?: AbortSignal): Promise<void> {
    const wait = this.reserve(tokens);
    if (wait > 0) await sleep(wait, signal);
  }
}

/** The estimate used before a request: about four characters per token (OpenAI's rule of thumb). */
export function estimateTokens(texts: readonly string[]): number {
  let chars = 0;
  for (const t of texts) chars += t.length;
  return Math.ceil(chars / 4);
}
