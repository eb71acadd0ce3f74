import { parseArgs as nodeParseArgs, type ParseArgsConfig } from 'node:util';
import { didYouMean } from '../config/did-you-mean.ts';
import { UsageError } from './command.ts';

/**
 * node:util's parseArgs with usage errors a person can act on: its ERR_PARSE_ARGS_* errors become a
 * one-line `UsageError` ("unknown option '--fromat' (did you mean --format?)") instead of Node's
 * own wording, which main() would otherwise print verbatim. Same signature, so commands import it
 * in place of node:util's.
 */
export function parseArgs<T extends ParseArgsConfig>(config: T): ReturnType<typeof nodeParseArgs<T>> {
  try {
    return nodeParseArgs(config);
  } catch (error) {
    throw toUsageError(error, config);
  }
}

/** Rewords a parseArgs error; anything else is returned unchanged. */
export function toUsageError(error: unknown, config: ParseArgsConfig): unknown {
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string' || !code.startsWith('ERR_PARSE_ARGS')) return error;
  const message = (error as Error).message;
  const quoted = /'([^']*)'/.exec(message)?.[1] ?? '';
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const option = quoted.split('=')[0] ?? quoted;
    const known = Object.entries(config.options ?? {}).flatMap(([name, o]) => [
      `--${name}`,
      ...(o.short ? [`-${o.short}`] : []),
    ]);
    const guess = didYouMean(
      option,
      known.filter((k) => k.startsWith('--') === option.startsWith('--')),
    );
    return new UsageError(`unknown option '${option}'${guess ? ` (did you mean ${guess}?)` : ''}`);
  }
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL')
    return new UsageError(`unexpected argument '${quoted}' (this command takes no positional arguments)`);
  // ERR_PARSE_ARGS_INVALID_OPTION_VALUE: "Option '--base <value>' argument missing" and the like.
  return new UsageError(message.charAt(0).toLowerCase() + message.slice(1));
}
