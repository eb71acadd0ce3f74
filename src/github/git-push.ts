/**
 * `git push` (and `git fetch`) to github.com with a workflow token, without the token ever reaching
 * argv or an error message. argv is visible to every process on the runner (`ps`) and Node's execFile
 * errors start with the full command line, which publish then printed into the job log — and Actions
 * masks the raw token, not its base64. So the auth header travels in git's environment-config
 * (`GIT_CONFIG_COUNT`/`GIT_CONFIG_KEY_n`/`GIT_CONFIG_VALUE_n`, git ≥ 2.31), failures report only git's
 * stderr, and both secret forms are redacted from that too.
 */
import { execFile } from 'node:child_process';
import { GitError } from '../git/index.ts';

/** The value git sends for `http.https://github.com/.extraheader` is `AUTHORIZATION: basic <this>`. */
export function basicAuthValue(token: string): string {
  return Buffer.from(`x-access-token:${token}`).toString('base64');
}

/**
 * Environment that makes git send the token as an HTTP header to github.com only. Appends to any
 * GIT_CONFIG_COUNT already present rather than replacing it.
 */
export function gitAuthEnv(base: NodeJS.ProcessEnv, token: string | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' };
  if (!token) return env;
  const existing = Number.parseInt(base.GIT_CONFIG_COUNT ?? '0', 10);
  const n = Number.isInteger(existing) && existing > 0 ? existing : 0;
  env.GIT_CONFIG_COUNT = String(n + 1);
  env[`GIT_CONFIG_KEY_${n}`] = 'http.https://github.com/.extraheader';
  env[`GIT_CONFIG_VALUE_${n}`] = `AUTHORIZATION: basic ${basicAuthValue(token)}`;
  return env;
}

/** Replaces every occurrence of the token (raw or base64) in text. */
export function redactToken(text: string, token: string | undefined): string {
  if (!token) return text;
  return text.split(basicAuthValue(token)).join('***').split(token).join('***');
}

/**
 * Runs `git -C <cwd> <args>` with the token in the environment. Rejects with a GitError whose message
 * is built from git's stderr only (redacted), never from the command line.
 */
export function runGitWithToken(cwd: string, args: string[], token: string | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      ['-C', cwd, ...args],
      { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024, env: gitAuthEnv(process.env, token), windowsHide: true },
      (error, stdout, stderr) => {
        if (error) {
          const text = redactToken(String(stderr).trim(), token);
          const code = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'E_GIT_MISSING' : 'E_GIT_FAILED';
          reject(
            new GitError(
              code,
              `git ${args[0] ?? ''} failed: ${text.split('\n')[0] || `exit status ${String(error.code ?? '?')}`}`,
              text,
            ),
          );
          return;
        }
        resolve(String(stdout).trim());
      },
    );
  });
}
