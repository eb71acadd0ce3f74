import { main } from '../../src/cli/main.ts';
import type { CommandIo } from '../../src/cli/command.ts';

export interface Ran {
  code: number;
  out: string;
  err: string;
}

/** Runs the real CLI in-process with captured output. */
export async function run(cwd: string, argv: string[], env: NodeJS.ProcessEnv = {}): Promise<Ran> {
  const out: string[] = [];
  const err: string[] = [];
  const { SWITCHYARD_SIGNING_KEY: _ignored, ...inherited } = process.env;
  const io: CommandIo = { cwd, env: { ...inherited, ...env }, stdout: (t) => out.push(t), stderr: (t) => err.push(t) };
  const code = await main(argv, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}
