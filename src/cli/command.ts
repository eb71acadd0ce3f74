/**
 * The shape every CLI command implements. Commands are the only code that prints or decides the
 * exit code; everything they call returns data.
 */
import { SwitchyardError } from '../errors/index.ts';

export interface CommandIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Working directory the command was invoked from. */
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Whether each stream takes colour (src/cli/style.ts); absent means plain text. */
  color?: { stdout: boolean; stderr: boolean };
}

export interface Command {
  name: string;
  /** Full usage text for `switchyard <name> --help`. */
  usage: string;
  /** Returns the exit code: 0 ok, 1 findings/failure, 2 usage error. */
  run(argv: string[], io: CommandIo): Promise<number>;
  /** Set by commands with subcommands: they print the right usage for `--help` themselves. */
  handlesHelp?: boolean;
  /** Names of the subcommands, if any (usage errors then point at `switchyard <name> <sub> --help`). */
  subcommands?: readonly string[];
}

/** Thrown by argument parsing; main() prints it on one line with a pointer to `--help` and exits 2. */
export class UsageError extends SwitchyardError {
  override name = 'UsageError';
  constructor(message: string) {
    super('E_USAGE', message);
  }
}
