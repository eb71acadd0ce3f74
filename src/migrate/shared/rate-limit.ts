import { sleep } from './backoff.ts';

export interface RateLimitOptions {
  /** Requests per minute (undefined: no limit). */
  requestsPerMinute?: number;
  /** Tokens per minute (undefined: no limit). */
  tokensPerMinute?: number;
  /** Clock (tests pass a fake one). */
  now?: () => number;
  /** How to wait (tests pass one that advances their fake clock). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/**
 * Paces calls so that requests and tokens never exceed their per-minute budgets: each call reserves
 * the next free slot on both schedules (a virtual-time scheduler, GCRA-style, with no burst) and
 * waits until it starts. Reservations are taken in call order, so concurrent workers share the
 * budget fairly.
 *
 * Tokens are reserved from an estimate (see `estimateTokens`) and corrected with what the API
 * reports afterwards (`settle`), so text that is denser than the estimate (CJK, code) slows the
 * following requests instead of overshooting the budget. A request estimated above the whole
 * per-minute budget must be split by the caller (`tokenBudget`, `splitForBudget`).
 */
export class RateLimiter {
  readonly #requestInterval: number;
  readonly #tokenInterval: number;
  readonly #now: () => number;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Tokens per minute (Infinity without a token limit). */
  readonly tokenBudget: number;
  #nextRequest = 0;
  #nextToken = 0;

  constructor(options: RateLimitOptions = {}) {
    this.#requestInterval = options.requestsPerMinute ? 60_000 / options.requestsPerMinute : 0;
    this.#tokenInterval = options.tokensPerMinute ? 60_000 / options.tokensPerMinute : 0;
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? sleep;
    this.tokenBudget = options.tokensPerMinute ?? Infinity;
  }

  /** Milliseconds the caller must wait before a call of `tokens` tokens; the slot is reserved. */
  reserve(tokens = 0): number {
    const now = this.#now();
    const start = Math.max(now, this.#nextRequest, this.#nextToken);
    this.#nextRequest = start + this.#requestInterval;
    this.#nextToken = start + tokens * this.#tokenInterval;
    return start - now;
  }

  /**
   * Corrects a reservation of `estimated` tokens with the `actual` count the API reported: the
   * token schedule moves by the difference (later when the text was denser than estimated).
   * Ignored when the API reported nothing (`actual` 0 or not a number).
   */
  settle(estimated: number, actual: number): void {
    if (this.#tokenInterval === 0 || !Number.isFinite(actual) || actual <= 0) return;
    this.#nextToken += (actual - estimated) * this.#tokenInterval;
  }

  /** Waits for a slot (see `reserve`). */
  async acquire(tokens = 0, signal?: AbortSignal): Promise<void> {
    const wait = this.reserve(tokens);
    if (wait > 0) await this.#sleep(wait, signal);
  }
}

/**
 * Splits `texts` (in order) into consecutive groups whose estimated tokens fit `budget`, halving
 * as often as needed. A single text above the budget stays a group of its own: it cannot be split
 * (one embedding per text), and the limiter then queues it until a whole budget is free.
 */
export function splitForBudget(texts: readonly string[], budget: number): string[][] {
  if (texts.length <= 1 || estimateTokens(texts) <= budget) return [texts.slice()];
  const half = Math.ceil(texts.length / 2);
  return [...splitForBudget(texts.slice(0, half), budget), ...splitForBudget(texts.slice(half), budget)];
}

/** The estimate used before a request: about four characters per token (OpenAI's rule of thumb). */
export function estimateTokens(texts: readonly string[]): number {
  let chars = 0;
  for (const t of texts) chars += t.length;
  return Math.ceil(chars / 4);
}
