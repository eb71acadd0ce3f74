/**
 * Waiting on conditions instead of sleeping (docs/testing.md, "No sleeps, no flakes"). The deadline
 * is a failure with a message saying what never happened, never a measurement.
 */

/** Polls `check` until it returns something truthy, and returns that; fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => T | Promise<T>,
  timeoutMs = 20_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A value set from a hook (a server's counter, an event count) that a test can wait on without polling. */
export interface Watched<T> {
  readonly value: T;
  set(value: T): void;
  /** Resolves as soon as `holds(value)` (at once if it already does); rejects after `timeoutMs`. */
  until(holds: (value: T) => boolean, what: string, timeoutMs?: number): Promise<T>;
}

export function watched<T>(initial: T): Watched<T> {
  let value = initial;
  const waiting = new Set<() => void>();
  return {
    get value() {
      return value;
    },
    set(next) {
      value = next;
      for (const check of [...waiting]) check();
    },
    until(holds, what, timeoutMs = 20_000) {
      return new Promise<T>((resolve, reject) => {
        const check = (): void => {
          if (!holds(value)) return;
          waiting.delete(check);
          clearTimeout(timer);
          resolve(value);
        };
        const timer = setTimeout(() => {
          waiting.delete(check);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last value ${String(value)})`));
        }, timeoutMs);
        waiting.add(check);
        check();
      });
    },
  };
}

/**
 * Spaces out load a test generates (an offered event rate, a simulated application's writes, its
 * retries). Never to let a race happen: wait on a condition for that (`waitFor`, `watched`).
 */
export function pace(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
