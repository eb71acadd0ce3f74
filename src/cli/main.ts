import { didYouMean } from '../config/did-you-mean.ts';
import { commands } from './commands/index.ts';
import { UsageError, type CommandIo } from './command.ts';
import { quickAnswer } from './help.mjs';
import { toUsageError } from './parse-args.ts';
import { hideExperimentalWarnings, processIo } from './process-io.ts';
import { styleOf } from './style.ts';

/**
 * CLI entry: dispatches to one command and returns its exit code. Bad input never produces a stack
 * trace: a usage error is one line with a pointer to `--help` (exit 2); anything unexpected is
 * reported in one line (the stack with SWITCHYARD_DEBUG=1).
 */
export async function main(argv: string[], io: CommandIo = processIo()): Promise<number> {
  const quick = quickAnswer(argv);
  if (quick) {
    io.stdout(quick.text);
    return quick.code;
  }
  // `switchyard help <command>` is `switchyard <command> --help`, as in gh and npm.
  const [name = '', ...rest] =
    argv[0] === 'help' || argv[0] === '--help' || argv[0] === '-h' ? [...argv.slice(1), '--help'] : argv;
  const err = styleOf(io.color?.stderr);
  const usageError = (prefix: string, message: string, helpCommand: string): number => {
    io.stderr(`${err.red(`${prefix}:`)} ${message}. Run '${helpCommand} --help' for usage.`);
    return 2;
  };
  const load = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!load) {
    const what = name.startsWith('-') ? 'option' : 'command';
    const candidates = name.startsWith('-') ? ['--help', '--version'] : Object.keys(commands);
    const guess = didYouMean(name, candidates);
    return usageError(
      'switchyard',
      `unknown ${what} '${name}'${guess ? ` (did you mean ${err.bold(guess)}?)` : ''}`,
      'switchyard',
    );
  }
  const { command } = await load();
  if (!command.handlesHelp && (rest.includes('--help') || rest.includes('-h'))) {
    io.stdout(command.usage);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (thrown) {
    const error = toUsageError(thrown, {});
    if (error instanceof UsageError) {
      // Commands with subcommands point at the subcommand's own help.
      const sub = rest[0] !== undefined && command.subcommands?.includes(rest[0]) ? ` ${rest[0]}` : '';
      return usageError(`switchyard ${name}${sub}`, error.message, `switchyard ${name}${sub}`);
    }
    io.stderr(`${err.red(`switchyard ${name}:`)} internal error: ${(error as Error)?.message ?? String(error)}`);
    if (io.env.SWITCHYARD_DEBUG) io.stderr(String((error as Error)?.stack));
    return 1;
  }
}

/** What bin/switchyard.mjs runs: the real process streams, dependency warnings filtered. */
export async function runCli(argv: string[]): Promise<number> {
  hideExperimentalWarnings();
  return main(argv);
}
