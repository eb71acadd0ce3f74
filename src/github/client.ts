import { getOctokit } from '@actions/github';

/** An authenticated Octokit as returned by `@actions/github` (REST methods + paginate). */
export type GitHubClient = ReturnType<typeof getOctokit>;

export interface GitHubClientOptions {
  token: string;
  /** REST API root; defaults to `GITHUB_API_URL` semantics (https://api.github.com). */
  apiUrl?: string;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Creates the Octokit client. The base URL is passed explicitly because `@actions/github` reads
 * `GITHUB_API_URL` once, when the module is first imported; passing it makes the caller's env win.
 */
export function createGitHubClient(options: GitHubClientOptions): GitHubClient {
  const apiUrl = (options.apiUrl ?? 'https://api.github.com').replace(/\/+$/, '');
  const host = new URL(apiUrl).hostname;
  // @actions/github routes through HTTPS_PROXY when set; a loopback API (tests, GHES tunnels) must not be
  // sent to a proxy, so those calls use Node's own fetch directly.
  const request = LOOPBACK.has(host) ? { request: { fetch: globalThis.fetch } } : {};
  return getOctokit(options.token, { baseUrl: apiUrl, ...request });
}
