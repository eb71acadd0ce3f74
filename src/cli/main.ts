import { commands } from './commands/index.ts';
import { UsageError, type CommandIo } from './command.ts';

const defaultIo = (): CommandIo => ({
  stdout: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  stderr: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
  cwd: process.cwd(),
  env: process.env,
});

async function help(io: CommandIo): Promise<string> {
  const lines = ['Usage: switchyard <command> [options]', '', 'Commands:'];
  for (const [name, load] of Object.entries(commands)) {
    const { command } = await load();
    lines.push(`  ${name.padEnd(14)} ${command.summary}`);
  }
  lines.push('', 'Run `switchyard <command> --help` for the options of one command.');
  void io;
  return lines.join('\n');
}

/**
 * CLI entry: dispatches to one command and returns its exit code. Bad input never produces a stack
 * trace: usage errors exit 2, anything unexpected is reported in one line (stack with SWITCHYARD_DEBUG=1).
 */
export async function main(argv: string[], io: CommandIo = defaultIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(await help(io));
    return name ? 0 : 2;
  }
  const load = commands[name];
  if (!load) {
    io.stderr(`switchyard: unknown command '${name}'. Run \`switchyard --help\` for the list.`);
    return 2;
  }
  const { command } = await load();
  if (!command.handlesHelp && (rest.includes('--help') || rest.includes('-h'))) {
    io.stdout(command.usage);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr(`switchyard ${name}: ${(error as Error).message}\n\n${command.usage}`);
      return 2;
    }
    io.stderr(`switchyard ${name}: internal error: ${(error as Error).message ?? String(error)}`);
    if (io.env.SWITCHYARD_DEBUG) io.stderr(String((error as Error).stack));
    return 1;
  }
}
