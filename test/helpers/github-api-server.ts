/**
 * A local stand-in for the GitHub REST API: a real HTTP server on 127.0.0.1 that speaks the wire
 * protocol of the endpoints Switchyard uses, so `@actions/github` (Octokit) can be pointed at it with
 * `GITHUB_API_URL` / `baseUrl` and exercised for real (auth header, JSON bodies, status codes, Link
 * header pagination).
 *
 * Endpoints (all under the server root, like https://api.github.com):
 * - `GET /user` (403 "Resource not accessible by integration" for installation tokens, as GitHub does)
 * - `GET /repos/:o/:r`
 * - issue comments: `GET|POST /repos/:o/:r/issues/:n/comments` (per_page ≤ 100, page, Link header),
 *   `GET|PATCH|DELETE /repos/:o/:r/issues/comments/:id`
 * - git refs and branches: `GET /repos/:o/:r/git/ref/heads/:b`, `POST /repos/:o/:r/git/refs`,
 *   `PATCH /repos/:o/:r/git/refs/heads/:b`, `GET /repos/:o/:r/branches/:b`; the ref may also come
 *   URL-encoded in one segment (`git/ref/heads%2Fmain`), which is how Octokit's `git.getRef` sends it
 * - contents: `GET|PUT|DELETE /repos/:o/:r/contents/:path` (base64, blob sha, optimistic `sha` check
 *   — required for DELETE, `branch`)
 * - pulls: `GET|POST /repos/:o/:r/pulls` (state/head/base filters), `GET|PATCH /repos/:o/:r/pulls/:n`,
 *   `PUT /repos/:o/:r/pulls/:n/merge`, `GET /repos/:o/:r/commits/:sha/pulls`
 * - labels: `POST /repos/:o/:r/issues/:n/labels`
 * - branch protection: `PUT|GET /repos/:o/:r/branches/:b/protection` (the four top-level keys GitHub
 *   requires, 422 without them; 404 "Branch not protected" before the first PUT)
 *
 * The state is in memory and inspectable (`server.state`), and every request is logged
 * (`server.requests`) so tests can assert what was called.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeUser {
  login: string;
  id: number;
  type: 'User' | 'Bot';
  /** Installation tokens (like GITHUB_TOKEN) cannot call `GET /user`. */
  installation?: boolean;
}

export interface FakeComment {
  id: number;
  node_id: string;
  body: string;
  user: { login: string; id: number; type: string };
  created_at: string;
  updated_at: string;
  html_url: string;
  url: string;
  issue_url: string;
}

export interface FakeCommit {
  sha: string;
  parent: string | null;
  message: string;
  /** path → file content (UTF-8 or binary as Buffer). */
  tree: Map<string, Buffer>;
}

export interface FakePull {
  number: number;
  state: 'open' | 'closed';
  title: string;
  body: string | null;
  head: { ref: string; sha: string; label: string; repo: { full_name: string } };
  base: { ref: string; sha: string; label: string; repo: { full_name: string } };
  user: { login: string; id: number; type: string };
  merged: boolean;
  merge_commit_sha: string | null;
  labels: Array<{ name: string }>;
  draft: boolean;
  html_url: string;
}

export interface FakeRepo {
  owner: string;
  name: string;
  defaultBranch: string;
  branches: Map<string, string>;
  commits: Map<string, FakeCommit>;
  /** issue/PR number → comments in creation order. */
  comments: Map<number, FakeComment[]>;
  pulls: Map<number, FakePull>;
  nextNumber: number;
  /** branch → the protection body last PUT (as GitHub stores it, in request shape). */
  protection: Map<string, Record<string, unknown>>;
}

export interface LoggedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  login: string | null;
  status: number;
}

export interface GitHubApiServer {
  /** Base URL to use as GITHUB_API_URL, e.g. `http://127.0.0.1:40123`. */
  url: string;
  state: { repos: Map<string, FakeRepo>; users: Map<string, FakeUser> };
  requests: LoggedRequest[];
  /** Registers a token and the user it authenticates as. */
  addToken(token: string, user: FakeUser): void;
  /** Creates a repository with one commit on the default branch holding `files`. */
  createRepo(owner: string, name: string, files?: Record<string, string>, defaultBranch?: string): FakeRepo;
  /** Adds a comment directly (as if `login` had written it), without an HTTP call. */
  seedComment(owner: string, name: string, issue: number, login: string, body: string): FakeComment;
  /**
   * Adds an open pull request directly, e.g. one from a fork (`headLabel: 'forker:patch-1'`), whose
   * head commit is not in this repository.
   */
  seedPull(
    owner: string,
    name: string,
    pull: { headLabel: string; headSha: string; number?: number; base?: string; title?: string; author?: string },
  ): FakePull;
  /** Reads a file at a branch (for assertions). */
  readFile(owner: string, name: string, branch: string, path: string): string | undefined;
  close(): Promise<void>;
}

const MAX_BODY = 5 * 1024 * 1024;

class HttpError extends Error {
  status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

function blobSha(content: Buffer): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

let commitCounter = 0;
function commitSha(parent: string | null, message: string, tree: Map<string, Buffer>): string {
  const hash = createHash('sha1').update(`${parent ?? ''}\n${message}\n`);
  for (const path of [...tree.keys()].sort()) hash.update(`${path}\0${blobSha(tree.get(path) as Buffer)}\n`);
  // The counter keeps two identical commits (same parent, message and tree) distinct, as timestamps do in git.
  return hash.update(String(commitCounter++)).digest('hex');
}

/** Starts the server on 127.0.0.1 on a random port. */
export async function startGitHubApiServer(): Promise<GitHubApiServer> {
  const repos = new Map<string, FakeRepo>();
  const users = new Map<string, FakeUser>();
  const requests: LoggedRequest[] = [];
  let nextCommentId = 1000;
  let baseUrl = '';
  const clock = { t: Date.parse('2025-01-01T00:00:00Z') };
  const now = (): string => new Date((clock.t += 1000)).toISOString();

  const repoKey = (owner: string, name: string): string => `${owner}/${name}`.toLowerCase();
  const publicUser = (u: FakeUser) => ({ login: u.login, id: u.id, type: u.type });

  function getRepo(owner: string, name: string): FakeRepo {
    const repo = repos.get(repoKey(owner, name));
    if (!repo) throw new HttpError(404, 'Not Found');
    return repo;
  }

  function addCommit(repo: FakeRepo, parent: string | null, message: string, tree: Map<string, Buffer>): string {
    const sha = commitSha(parent, message, tree);
    repo.commits.set(sha, { sha, parent, message, tree });
    return sha;
  }

  function createRepo(
    owner: string,
    name: string,
    files: Record<string, string> = {},
    defaultBranch = 'main',
  ): FakeRepo {
    const repo: FakeRepo = {
      owner,
      name,
      defaultBranch,
      branches: new Map(),
      commits: new Map(),
      comments: new Map(),
      pulls: new Map(),
      nextNumber: 1,
      protection: new Map(),
    };
    const tree = new Map(Object.entries(files).map(([p, c]) => [p, Buffer.from(c)]));
    repo.branches.set(defaultBranch, addCommit(repo, null, 'initial commit', tree));
    repos.set(repoKey(owner, name), repo);
    return repo;
  }

  function makeComment(repo: FakeRepo, issue: number, user: FakeUser, body: string): FakeComment {
    const id = nextCommentId++;
    const at = now();
    const comment: FakeComment = {
      id,
      node_id: `IC_${id}`,
      body,
      user: publicUser(user),
      created_at: at,
      updated_at: at,
      html_url: `https://github.com/${repo.owner}/${repo.name}/pull/${issue}#issuecomment-${id}`,
      url: `${baseUrl}/repos/${repo.owner}/${repo.name}/issues/comments/${id}`,
      issue_url: `${baseUrl}/repos/${repo.owner}/${repo.name}/issues/${issue}`,
    };
    const list = repo.comments.get(issue) ?? [];
    list.push(comment);
    repo.comments.set(issue, list);
    return comment;
  }

  function findComment(repo: FakeRepo, id: number): { list: FakeComment[]; index: number } {
    for (const list of repo.comments.values()) {
      const index = list.findIndex((c) => c.id === id);
      if (index >= 0) return { list, index };
    }
    throw new HttpError(404, 'Not Found');
  }

  function paginate<T>(
    items: T[],
    query: Record<string, string>,
    path: string,
  ): { page: T[]; link: string | undefined } {
    const perPage = Math.min(100, Math.max(1, Number(query.per_page ?? 30) || 30));
    const pageNo = Math.max(1, Number(query.page ?? 1) || 1);
    const last = Math.max(1, Math.ceil(items.length / perPage));
    const page = items.slice((pageNo - 1) * perPage, pageNo * perPage);
    const linkTo = (p: number): string => {
      const params = new URLSearchParams({ ...query, per_page: String(perPage), page: String(p) });
      return `<${baseUrl}${path}?${params.toString()}>`;
    };
    const parts: string[] = [];
    if (pageNo > 1) parts.push(`${linkTo(pageNo - 1)}; rel="prev"`, `${linkTo(1)}; rel="first"`);
    if (pageNo < last) parts.push(`${linkTo(pageNo + 1)}; rel="next"`, `${linkTo(last)}; rel="last"`);
    return { page, link: parts.length > 0 ? parts.join(', ') : undefined };
  }

  function pullJson(repo: FakeRepo, pull: FakePull) {
    return { ...pull, id: pull.number * 7, url: `${baseUrl}/repos/${repo.owner}/${repo.name}/pulls/${pull.number}` };
  }

  function branchTree(repo: FakeRepo, branch: string): { sha: string; commit: FakeCommit } {
    const sha = repo.branches.get(branch) ?? (repo.commits.has(branch) ? branch : undefined);
    if (!sha) throw new HttpError(404, 'Not Found');
    return { sha, commit: repo.commits.get(sha) as FakeCommit };
  }

  type Json = Record<string, unknown>;
  type Handler = (ctx: {
    params: string[];
    query: Record<string, string>;
    body: Json;
    user: FakeUser;
    path: string;
  }) => { status: number; json?: unknown; headers?: Record<string, string> };

  const routes: Array<{ method: string; pattern: RegExp; handler: Handler }> = [];
  const route = (method: string, pattern: RegExp, handler: Handler): void => {
    routes.push({ method, pattern, handler });
  };
  const requireString = (body: Json, key: string): string => {
    const value = body[key];
    if (typeof value !== 'string')
      throw new HttpError(422, `Invalid request: "${key}" is required and must be a string`);
    return value;
  };

  route('GET', /^\/user$/, ({ user }) => {
    if (user.installation) throw new HttpError(403, 'Resource not accessible by integration');
    return { status: 200, json: { ...publicUser(user), name: user.login } };
  });

  route('GET', /^\/repos\/([^/]+)\/([^/]+)$/, ({ params }) => {
    const repo = getRepo(params[0] as string, params[1] as string);
    return {
      status: 200,
      json: {
        name: repo.name,
        full_name: `${repo.owner}/${repo.name}`,
        owner: { login: repo.owner },
        default_branch: repo.defaultBranch,
      },
    };
  });

  route('GET', /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/, ({ params, query, path }) => {
    const repo = getRepo(params[0] as string, params[1] as string);
    const all = repo.comments.get(Number(params[2])) ?? [];
    const { page, link } = paginate(all, query, path);
    return { status: 200, json: page, headers: link ? { link } : undefined };
  });

  route('POST', /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/, ({ params, body, user }) => {
    const repo = getRepo(params[0] as string, params[1] as string);
    const text = requireString(body, 'body');
    if (text.length > 65536)
      throw new HttpError(422, 'Validation Failed: body is too long (maximum is 65536 characters)');
    return { status: 201, json: makeComment(repo, Number(params[2]), user, text) };
  });

  route('GET', /^\/repos\/([^/]+)\/([^/]+)\/issues\/comments\/(\d+)$/, ({ params }) => {
    const { list, index } = findComment(getRepo(params[0] as string, params[1] as string), Number(params[2]));
    return { status: 200, json: list[index] };
  });

  route('PATCH', /^\/repos\/([^/]+)\/([^/]+)\/issues\/comments\/(\d+)$/, ({ params, body }) => {
    const { list, index } = findComment(getRepo(params[0] as string, params[1] as string), Number(params[2]));
    const text = requireString(body, 'body');
    if (text.length > 65536)
      throw new HttpError(422, 'Validation Failed: body is too long (maximum is 65536 characters)');
    const comment = list[index] as FakeComment;
    comment.body = text;
    comment.updated_at = now();
    return { status: 200, json: comment };
  });

  route('DELETE', /^\/repos\/([^/]+)\/([^/]+)\/issues\/comments\/(\d+)$/, ({ params }) => {
    const { list, index } = findComment(getRepo(params[0] as string, params[1] as string), Number(params[2]));
    list.splice(index, 1);
    return { status: 204 };
  });

  route('POST', /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/labels$/, ({ params, body }) => {
    const repo = getRepo(params[0] as string, params[1] as string);
    const pull = repo.pulls.get(Number(params[2]));
    if (!pull) throw new HttpError(404, 'Not Found');
    const labels = Array.isArray(body.labels) ? body.labels.map(String) : [];
    for (const name of labels) if (!pull.labels.some((l) => l.name === name)) pull.labels.push({ name });
    return { status: 200, json: pull.labels };
  });

  // `(.+)` after `git/ref/` is `heads/<b>` or, URL-encoded in one segment, `heads%2F<b>` (Octokit);
  // the dispatcher has decoded it already, so both arrive here as `heads/<b>`.
  route('GET', /^\/repos\/([^/]+)\/([^/]+)\/git\/ref\/(.+)$/, ({ params }) => {
    const repo = getRepo(params[0] as string, params[1] as string);
    const ref = params[2] as string;
    if (!ref.startsWith('heads/')) throw new HttpError(404, 'Not Found');
    const branch = ref.slice('heads/'.length);
    const sha = repo.branches.get(branch);
    if (!sha) throw new HttpError(404, 'Not Found');
    return { status: 200, json: { ref: `refs/heads/${branch}`, object: { sha, type: 'commit' } } };
  });

  route('POST', /^\/repos\/([^/]+)\/([^/]+)\/git\/refs$/, ({ params, body }) => {
    const repo = getRepo(params[0] as string, params[1] as string);
    const ref = requireString(body, 'ref');
    const sha = requireString(body, 'sha');
    if (!ref.startsWith('refs/heads/')) throw new HttpError(422, 'Reference name must start with refs/heads/');
    if (!repo.commits.has(sha)) throw new HttpError(422, 'Object does not exist');
    const branch = ref.slice('refs/heads/'.length);
    if (repo.branches.has(branch)) throw new HttpError(422, 'Reference already exists');
    repo.branches.set(branch, sha);
    return { status: 201, json: { ref, object: { sha, type: 'commit' } } };
  });

  route('PATCH', /^\/repos\/([^/]+)\/([^/]+)\/git\/refs\/(.+)$/, ({ params, body }) => {
    const repo = getRepo(params[0] as string, params[1] as string);
    const ref = params[2] as string;
    if (!ref.startsWith('heads/')) throw new HttpError(422, 'Reference does not exist');
    const branch = ref.slice('heads/'.length);
    const sha = requireString(body, 'sha');
    if (!repo.branches.has(branch)) throw new HttpError(422, 'Reference does not exist');
    if (!repo.commits.has(sha)) throw new HttpError(422, 'Object does not exist');
    repo.branches.set(branch, sha);
    return { status: 200, json: { ref: `refs/heads/${branch}`, object: { sha, type: 'commit' } } };
  });

  route('PUT', /^\/repos\/([^/]+)\/([^/]+)\/branches\/(.+)\/protection$/, ({ params, body }) => {
    const repo = getRepo(params[0] as string, params[1] as string);
    const branch = decodeURIComponent(params[2] as string);
    if (!repo.branches.has(branch)) throw new HttpError(404, 'Branch not found');
    for (const key of ['required_status_checks', 'enforce_admins', 'required_pull_request_reviews', 'restrictions']) {
      if (!(key in body)) throw new HttpError(422, `Invalid request: "${key}" wasn't supplied.`);
    }
    repo.protection.set(branch, body);
    return { status: 200, json: { url: `/repos/${repo.owner}/${repo.name}/branches/${branch}/protection`, ...body } };
  });
  route('GET', /^\/repos\/([^/]+)\/([^/]+)\/branches\/(.+)\/protection$/, ({ params }) => {
    const repo = getRepo(params[0] as string, params[1] as string);
    const protection = repo.protection.get(decodeURIComponent(params[2] as string));
    if (!protection) throw new HttpError(404, 'Branch not protected');
    return { status: 200, json: protection };
  });
  route('GET', /^\/repos\/([^/]+)\/([^/]+)\/branches\/(.+)$/, ({ params }) => {
    const repo = getRepo(params[0] as string, params[1] as string);
    const branch = decodeURIComponent(params[2] as string);
    const sha = repo.branches.get(branch);
    if (!sha) throw new HttpError(404, 'Branch not found');
    return { status: 200, json: { name: branch, commit: { sha }, protected: branch === repo.defaultBranch } };
  });

  route('GET', /^\/repos\/([^/]+)\/([^/]+)\/contents\/(.+)$/, ({ params, query }) => {
    const repo = getRepo(params[0] as string, params[1] as string);
    const path = decodeURIComponent(params[2] as string);
    const { commit } = branchTree(repo, query.ref ?? repo.defaultBranch);
    const content = commit.tree.get(path);
    if (!content) throw new HttpError(404, 'Not Found');
    return {
      status: 200,
      json: {
        type: 'file',
        encoding: 'base64',
        name: path.split('/').pop(),
        path,
        size: content.length,
        sha: blobSha(content),
        content: content.toString('base64').replace(/(.{60})/g, '$1\n'),
      },
    };
  });

  route('PUT', /^\/repos\/([^/]+)\/([^/]+)\/contents\/(.+)$/, ({ params, body }) => {
    const repo = getRepo(params[0] as string, params[1] as string);
    const path = decodeURIComponent(params[2] as string);
    const message = requireString(body, 'message');
    const content = Buffer.from(requireString(body, 'content'), 'base64');
    const branch = typeof body.branch === 'string' ? body.branch : repo.defaultBranch;
    const { sha: parent, commit } = branchTree(repo, branch);
    const existing = commit.tree.get(path);
    if (existing && body.sha !== blobSha(existing)) {
      throw new HttpError(409, `${path} does not match ${String(body.sha ?? '(no sha given)')}`);
    }
    if (!existing && body.sha !== undefined) throw new HttpError(422, `"sha" was supplied but ${path} does not exist`);
    const tree = new Map(commit.tree);
    tree.set(path, content);
    const sha = addCommit(repo, parent, message, tree);
    repo.branches.set(branch, sha);
    return {
      status: existing ? 200 : 201,
      json: { content: { path, sha: blobSha(content) }, commit: { sha, message } },
    };
  });

  route('DELETE', /^\/repos\/([^/]+)\/([^/]+)\/contents\/(.+)$/, ({ params, body }) => {
    const repo = getRepo(params[0] as string, params[1] as string);
    const path = decodeURIComponent(params[2] as string);
    const message = requireString(body, 'message');
    // GitHub refuses a delete without the blob sha (no blind deletes).
    const expected = requireString(body, 'sha');
    const branch = typeof body.branch === 'string' ? body.branch : repo.defaultBranch;
    const { sha: parent, commit } = branchTree(repo, branch);
    const existing = commit.tree.get(path);
    if (!existing) throw new HttpError(404, 'Not Found');
    if (expected !== blobSha(existing)) throw new HttpError(409, `${path} does not match ${expected}`);
    const tree = new Map(commit.tree);
    tree.delete(path);
    const sha = addCommit(repo, parent, message, tree);
    repo.branches.set(branch, sha);
    return { status: 200, json: { content: null, commit: { sha, message } } };
  });

  route('GET', /^\/repos\/([^/]+)\/([^/]+)\/pulls$/, ({ params, query, path }) => {
    const repo = getRepo(params[0] as string, params[1] as string);
    const state = query.state ?? 'open';
    const all = [...repo.pulls.values()].filter(
      (p) =>
        (state === 'all' || p.state === state) &&
        (!query.head || p.head.label === query.head) &&
        (!query.base || p.base.ref === query.base),
    );
    const { page, link } = paginate(
      all.map((p) => pullJson(repo, p)),
      query,
      path,
    );
    return { status: 200, json: page, headers: link ? { link } : undefined };
  });

  route('POST', /^\/repos\/([^/]+)\/([^/]+)\/pulls$/, ({ params, body, user }) => {
    const repo = getRepo(params[0] as string, params[1] as string);
    const title = requireString(body, 'title');
    const head = requireString(body, 'head');
    const base = requireString(body, 'base');
    const headBranch = head.includes(':') ? head.slice(head.indexOf(':') + 1) : head;
    const headSha = repo.branches.get(headBranch);
    const baseSha = repo.branches.get(base);
    if (!headSha || !baseSha) throw new HttpError(422, 'Validation Failed: head or base branch does not exist');
    if (headSha === baseSha)
      throw new HttpError(422, `Validation Failed: No commits between ${base} and ${headBranch}`);
    const duplicate = [...repo.pulls.values()].find(
      (p) => p.state === 'open' && p.head.ref === headBranch && p.base.ref === base,
    );
    if (duplicate)
      throw new HttpError(422, `Validation Failed: A pull request already exists for ${repo.owner}:${headBranch}.`);
    const number = repo.nextNumber++;
    const fullName = `${repo.owner}/${repo.name}`;
    const pull: FakePull = {
      number,
      state: 'open',
      title,
      body: typeof body.body === 'string' ? body.body : null,
      head: { ref: headBranch, sha: headSha, label: `${repo.owner}:${headBranch}`, repo: { full_name: fullName } },
      base: { ref: base, sha: baseSha, label: `${repo.owner}:${base}`, repo: { full_name: fullName } },
      user: publicUser(user),
      merged: false,
      merge_commit_sha: null,
      labels: [],
      draft: body.draft === true,
      html_url: `https://github.com/${fullName}/pull/${number}`,
    };
    repo.pulls.set(number, pull);
    return { status: 201, json: pullJson(repo, pull) };
  });

  route('GET', /^\/repos\/([^/]+)\/([^/]+)\/pulls\/(\d+)$/, ({ params }) => {
    const repo = getRepo(params[0] as string, params[1] as string);
    const pull = repo.pulls.get(Number(params[2]));
    if (!pull) throw new HttpError(404, 'Not Found');
    return { status: 200, json: pullJson(repo, pull) };
  });

  route('PATCH', /^\/repos\/([^/]+)\/([^/]+)\/pulls\/(\d+)$/, ({ params, body }) => {
    const repo = getRepo(params[0] as string, params[1] as string);
    const pull = repo.pulls.get(Number(params[2]));
    if (!pull) throw new HttpError(404, 'Not Found');
    if (typeof body.title === 'string') pull.title = body.title;
    if (typeof body.body === 'string') pull.body = body.body;
    if (body.state === 'open' || body.state === 'closed') pull.state = body.state;
    return { status: 200, json: pullJson(repo, pull) };
  });

  route('PUT', /^\/repos\/([^/]+)\/([^/]+)\/pulls\/(\d+)\/merge$/, ({ params, body }) => {
    const repo = getRepo(params[0] as string, params[1] as string);
    const pull = repo.pulls.get(Number(params[2]));
    if (!pull) throw new HttpError(404, 'Not Found');
    if (pull.state !== 'open') throw new HttpError(405, 'Pull Request is not mergeable');
    const headSha = repo.branches.get(pull.head.ref) ?? pull.head.sha;
    if (typeof body.sha === 'string' && body.sha !== headSha)
      throw new HttpError(409, 'Head branch was modified. Review and try the merge again.');
    const baseSha = repo.branches.get(pull.base.ref) as string;
    const head = repo.commits.get(headSha) as FakeCommit;
    // Merged tree = head's tree: good enough for branches made from the base (what propose does).
    const message = typeof body.commit_title === 'string' ? body.commit_title : `Merge pull request #${pull.number}`;
    const sha = addCommit(repo, baseSha, message, new Map(head.tree));
    repo.branches.set(pull.base.ref, sha);
    pull.state = 'closed';
    pull.merged = true;
    pull.merge_commit_sha = sha;
    return { status: 200, json: { sha, merged: true, message: 'Pull Request successfully merged' } };
  });

  route('GET', /^\/repos\/([^/]+)\/([^/]+)\/commits\/([0-9a-f]{7,40})\/pulls$/, ({ params }) => {
    const repo = getRepo(params[0] as string, params[1] as string);
    const sha = params[2] as string;
    const pulls = [...repo.pulls.values()].filter((p) => p.head.sha.startsWith(sha)).map((p) => pullJson(repo, p));
    return { status: 200, json: pulls };
  });

  async function readBody(req: IncomingMessage): Promise<Json> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY) throw new HttpError(413, 'Request body too large');
      chunks.push(chunk as Buffer);
    }
    if (size === 0) return {};
    try {
      const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      return parsed as Json;
    } catch {
      throw new HttpError(400, 'Problems parsing JSON');
    }
  }

  function send(res: ServerResponse, status: number, json: unknown, headers: Record<string, string> = {}): void {
    const body = json === undefined ? '' : JSON.stringify(json);
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'x-github-media-type': 'github.v3; format=json',
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': '4999',
      ...headers,
    });
    res.end(body);
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const query = Object.fromEntries(url.searchParams.entries());
    const auth = req.headers.authorization ?? '';
    const token = auth.replace(/^(token|bearer)\s+/i, '');
    const user = users.get(token);
    const entry: LoggedRequest = { method: req.method ?? 'GET', path, query, login: user?.login ?? null, status: 0 };
    requests.push(entry);
    const reply = (status: number, json: unknown, headers?: Record<string, string>): void => {
      entry.status = status;
      send(res, status, json, headers);
    };
    void (async () => {
      try {
        if (!user) throw new HttpError(401, 'Bad credentials');
        const body = await readBody(req);
        for (const r of routes) {
          if (r.method !== req.method) continue;
          const match = r.pattern.exec(path);
          if (!match) continue;
          const out = r.handler({ params: match.slice(1).map((p) => decodeURIComponent(p)), query, body, user, path });
          reply(out.status, out.status === 204 ? undefined : out.json, out.headers);
          return;
        }
        throw new HttpError(404, 'Not Found');
      } catch (error) {
        const status = error instanceof HttpError ? error.status : 500;
        reply(status, {
          message: (error as Error).message,
          documentation_url: 'https://docs.github.com/rest',
          status: String(status),
        });
      }
    })();
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: baseUrl,
    state: { repos, users },
    requests,
    addToken(token, user) {
      users.set(token, user);
    },
    createRepo,
    seedComment(owner, name, issue, login, body) {
      const user = [...users.values()].find((u) => u.login === login) ?? {
        login,
        id: 90_000 + login.length,
        type: 'User' as const,
      };
      return makeComment(getRepo(owner, name), issue, user, body);
    },
    seedPull(owner, name, spec) {
      const repo = getRepo(owner, name);
      const number = spec.number ?? repo.nextNumber;
      repo.nextNumber = Math.max(repo.nextNumber, number + 1);
      const base = spec.base ?? repo.defaultBranch;
      const [headOwner = owner, headRef = spec.headLabel] = spec.headLabel.split(':');
      const login = spec.author ?? headOwner;
      const pull: FakePull = {
        number,
        state: 'open',
        title: spec.title ?? `PR ${number}`,
        body: null,
        head: { ref: headRef, sha: spec.headSha, label: spec.headLabel, repo: { full_name: `${headOwner}/${name}` } },
        base: {
          ref: base,
          sha: repo.branches.get(base) ?? '',
          label: `${owner}:${base}`,
          repo: { full_name: `${owner}/${name}` },
        },
        user: { login, id: 50_000 + number, type: 'User' },
        merged: false,
        merge_commit_sha: null,
        labels: [],
        draft: false,
        html_url: `https://github.com/${owner}/${name}/pull/${number}`,
      };
      repo.pulls.set(number, pull);
      return pull;
    },
    readFile(owner, name, branch, path) {
      const repo = getRepo(owner, name);
      const sha = repo.branches.get(branch);
      return sha ? repo.commits.get(sha)?.tree.get(path)?.toString('utf8') : undefined;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
