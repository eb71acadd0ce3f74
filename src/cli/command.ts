/**
 * The shape every CLI command implements. Commands are the only code that prints or decides the
 * exit code; everything they call returns data.
 */

export interface CommandIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Working directory the command was invoked from. */
  cwd: string;
  env: NodeJS.ProcessEnv;
}

export interface Command {
  name: string;
  /** One line for `switchyard --help`. */
  summary: string;
  /** Full usage text for `switchyard <name> --help`. */
  usage: string;
  /** Returns the exit code: 0 ok, 1 findings/failure, 2 usage error. */
  run(argv: string[], io: CommandIo): Promise<number>;
  /** Set by commands with subcommands: they print the right usage for `--help` themselves. */
  handlesHelp?: boolean;
}

/** Thrown by argument parsing; main() turns it into exit code 2 with the command's usage. */
export class UsageError extends Error {
  override name = 'UsageError';
}
