import type { CommandIo } from '../../src/cli/command.ts';

/** Captures a command's output; offline unless the test says otherwise. */
export function testIo(
  cwd: string,
  env: NodeJS.ProcessEnv = {},
): CommandIo & { out: string[]; err: string[]; text(): string } {
  const out: string[] = [];
  const err: string[] = [];
  const base = { ...process.env };
  delete base.OPENAI_API_KEY;
  delete base.OPENAI_BASE_URL;
  return {
    out,
    err,
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    cwd,
    env: { ...base, SWITCHYARD_OFFLINE: '1', ...env },
    text: () => [...out, ...err].join('\n'),
  };
}
