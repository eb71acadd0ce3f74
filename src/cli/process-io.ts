/**
 * The CLI's connection to the real process: stdout/stderr writers that survive a closed pipe, colour
 * decided per stream, and Node warnings from dependencies kept out of the output. Only the entry point
 * (bin/switchyard.mjs through runCli) uses it; tests pass their own CommandIo.
 */
import type { CommandIo } from './command.ts';
import { useColor } from './style.ts';

const line = (text: string): string => (text.endsWith('\n') ? text : `${text}\n`);

/** Writers for the process's own streams. */
export function processIo(): CommandIo {
  guardPipes();
  return {
    stdout: (text) => void (closed.stdout || process.stdout.write(line(text))),
    stderr: (text) => void (closed.stderr || process.stderr.write(line(text))),
    cwd: process.cwd(),
    env: process.env,
    color: { stdout: useColor(process.stdout, process.env), stderr: useColor(process.stderr, process.env) },
  };
}

const closed = { stdout: false, stderr: false };
let guarded = false;

/**
 * `switchyard validate --format json | head -1`: once the reader has gone, a write fails with EPIPE,
 * which Node raises as an unhandled 'error' event (a stack trace). Nobody reads the rest, so later
 * output is dropped and the command runs to its end: the exit status still says whether the
 * configuration is valid (what a `set -o pipefail` script checks).
 */
export function guardPipes(): void {
  if (guarded) return;
  guarded = true;
  for (const name of ['stdout', 'stderr'] as const) {
    process[name].on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_DESTROYED') throw error;
      closed[name] = true;
    });
  }
}

/**
 * Drops `ExperimentalWarning`s (e.g. undici's "DecompressInterceptor is experimental", raised while
 * promptfoo loads): they are about a dependency's internals and say nothing a user can act on.
 * Every other warning still prints.
 */
export function hideExperimentalWarnings(): void {
  const emit = process.emitWarning.bind(process) as (...args: unknown[]) => void;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const option = rest[0];
    const type = typeof option === 'string' ? option : (option as { type?: string } | undefined)?.type;
    if (type === 'ExperimentalWarning' || (warning instanceof Error && warning.name === 'ExperimentalWarning')) return;
    emit(warning, ...rest);
  }) as typeof process.emitWarning;
}
