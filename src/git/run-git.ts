import { execFile } from 'node:child_process';
import { SwitchyardError, type SwitchyardErrorOptions } from '../errors/index.ts';

/** Raised when a git command fails; `code` is stable (`E_GIT_*`) and `stderr` carries git's words. */
export class GitError extends SwitchyardError {
  override name = 'GitError';
  readonly stderr: string;
  constructor(code: string, message: string, stderr = '', options: SwitchyardErrorOptions = {}) {
    super(code, message, options);
    this.stderr = stderr;
  }
}

export interface RunGitOptions {
  /** Bytes written to git's stdin. */
  input?: Buffer | string;
  /** Upper bound on stdout; a larger answer fails instead of exhausting memory. */
  maxBuffer?: number;
}

// Git must never prompt, page, or read the user's config in ways that change output formats.
const gitEnv = (): NodeJS.ProcessEnv => ({
  ...process.env,
  GIT_TERMINAL_PROMPT: '0',
  GIT_PAGER: 'cat',
  GIT_OPTIONAL_LOCKS: '0',
  LC_ALL: 'C',
});

/**
 * Runs `git -C <cwd> <args>` without a shell and resolves with stdout as bytes. Arguments are passed
 * as an array, so refs and paths can never be interpreted by a shell.
 */
export function runGit(cwd: string, args: string[], options: RunGitOptions = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'git',
      ['-C', cwd, '-c', 'core.quotePath=false', ...args],
      { encoding: 'buffer', maxBuffer: options.maxBuffer ?? 256 * 1024 * 1024, env: gitEnv(), windowsHide: true },
      (error, stdout, stderr) => {
        if (error) {
          const text = stderr.toString('utf8').trim();
          const code = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'E_GIT_MISSING' : 'E_GIT_FAILED';
          reject(
            new GitError(code, `git ${args[0] ?? ''} failed: ${text.split('\n')[0] || error.message}`, text, {
              cause: error,
            }),
          );
          return;
        }
        resolve(stdout);
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}
