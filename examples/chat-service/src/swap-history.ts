import type { BundleChange, SwitchyardClient } from '@switchyard/runtime';
import type { Logger } from './logger.ts';

/** The bundle swaps a running service has seen: how many, and the most recent few. */
export interface SwapHistory {
  /** The most recent swaps (at most `keep`), oldest first. */
  recent(): BundleChange[];
  /** How many swaps were seen since start. */
  count(): number;
}

/**
 * Logs and records every bundle swap of `runtime`. A long-running process swaps bundles for ever:
 * keep a count and only the last `keep` (at least 1).
 */
export function recordSwaps(runtime: SwitchyardClient, keep: number, log: Logger): SwapHistory {
  const swapHistory = Math.max(1, keep);
  const swaps: BundleChange[] = [];
  let swapCount = 0;
  runtime.onChange((change) => {
    swapCount++;
    swaps.push(change);
    if (swaps.length > swapHistory) swaps.splice(0, swaps.length - swapHistory);
    log.info('config bundle swapped', {
      previousSerial: change.previousSerial,
      serial: change.serial,
      changed: change.changed,
    });
  });
  return { recent: () => [...swaps], count: () => swapCount };
}
