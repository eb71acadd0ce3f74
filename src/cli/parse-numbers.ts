import { UsageError } from './command.ts';

/**
 * Parses an integer flag value: undefined when the flag is absent, a `UsageError` (exit 2) when it
 * is not an integer ≥ `min`. Shared by the migrate commands.
 */
export function positiveInt(value: string | undefined, name: string, min = 1): number | undefined {
  if (value === undefined) return undefined;
  const v = Number(value);
  if (!Number.isInteger(v) || v < min) throw new UsageError(`--${name} must be an integer ≥ ${min}`);
  return v;
}
