/**
 * Publishing a signed bundle (what `compile` + `sign` left in `dist/<env>/`) to the configured target,
 * and recording what was published:
 *
 * - a directory (`dist/published`, relative to the repository): `publishToDirectory` from src/bundle;
 * - `branch:<name>` (gh-pages style): the same directory layout committed to that branch through a
 *   temporary git worktree, then pushed to `origin` (unless told not to);
 * - an `http(s)://` URL (S3/GCS/any object store or WebDAV-ish server that accepts PUT): payload first,
 *   manifest last, refusing a serial that is not higher than the one already served.
 *
 * Every publish appends an entry to `published.json` at the target's root (the last 200 are kept).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { publishToDirectory, writeFileAtomic } from '../bundle/index.ts';
import { parseStrictJsonBytes, sha256Hex } from '../bundle/runtime-format.ts';
import type { Checked, Diagnostic } from '../config/diagnostics.ts';
import { SwitchyardError } from '../errors/index.ts';
import { runGit } from '../git/index.ts';
import { redactToken, runGitWithToken } from './git-push.ts';

export type PublishTarget =
  { kind: 'directory'; path: string } | { kind: 'branch'; branch: string } | { kind: 'http'; url: string };

export interface PublishRecord {
  env: string;
  serial: number;
  commit: string;
  sha256: string;
  length: number;
  target: string;
  publishedAt: string;
  /** True when the identical manifest was already there (a retried job). */
  unchanged: boolean;
}

export interface PublishBundleOptions {
  /** Repository root (relative directory targets and the git worktree for branch targets). */
  root: string;
  /** The build directory holding `<env>/manifest.json` and `<env>/payload/<sha256>.json`. */
  dist: string;
  env: string;
  target: PublishTarget;
  /** Bearer token for HTTP targets (e.g. a pre-signed-URL proxy or a bucket gateway). */
  token?: string;
  /** Push branch targets to `origin` (default true). */
  push?: boolean;
  /** Token for pushing a branch target to github.com (sent as a header for that one command, never stored). */
  pushToken?: string;
  /** Clock, for the record. */
  now?: () => Date;
}

const MAX_LOG = 200;
const BRANCH = /^[A-Za-z0-9][A-Za-z0-9._/-]*$/;
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

function error(code: string, message: string, hint: string): Diagnostic {
  return { code, severity: 'error', message, hint, file: 'switchyard.yaml', line: 1, col: 1 };
}

function failed<T>(code: string, message: string, hint: string): Checked<T> {
  return { value: undefined, errors: [error(code, message, hint)], warnings: [] };
}

/** Parses a target as written in switchyard.yaml `publish.target` or SWITCHYARD_PUBLISH_TARGET. */
export function parsePublishTarget(text: string, root: string): Checked<PublishTarget> {
  const value = text.trim();
  if (value.startsWith('branch:')) {
    const branch = value.slice('branch:'.length);
    if (!BRANCH.test(branch) || branch.includes('..')) {
      return failed('E_PUBLISH_TARGET', `'${branch}' is not a branch name`, 'write the target as branch:gh-pages');
    }
    return { value: { kind: 'branch', branch }, errors: [], warnings: [] };
  }
  if (/^https?:\/\//i.test(value)) {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return failed(
        'E_PUBLISH_TARGET',
        'the publish target is not a valid URL',
        'write the target as https://bucket.example.com/switchyard',
      );
    }
    // The target is printed in logs and appended to the public published.json: it must carry no secret.
    const shown = `${url.protocol}//${url.host}${url.pathname}`;
    if (url.username !== '' || url.password !== '') {
      return failed(
        'E_PUBLISH_TARGET_CREDENTIALS',
        `the publish target ${shown} has credentials in the URL`,
        'remove user:password@ from the URL and pass the token in SWITCHYARD_PUBLISH_TOKEN',
      );
    }
    if (url.search !== '' || url.hash !== '') {
      return failed(
        'E_PUBLISH_TARGET_CREDENTIALS',
        `the publish target ${shown} has a query string or fragment (a signed URL would leak into logs)`,
        'use a base URL without ?… and pass the token in SWITCHYARD_PUBLISH_TOKEN',
      );
    }
    // The bearer token must not cross the network in clear; plain http only to this machine (tests, local proxies).
    if (url.protocol === 'http:' && !LOOPBACK.has(url.hostname)) {
      return failed(
        'E_PUBLISH_TARGET_INSECURE',
        `the publish target ${shown} is plain http`,
        'use https:// (http is accepted only for localhost / 127.0.0.1 / [::1])',
      );
    }
    return { value: { kind: 'http', url: url.toString().replace(/\/+$/, '') }, errors: [], warnings: [] };
  }
  if (value === '' || value.includes('\0'))
    return failed('E_PUBLISH_TARGET', 'the publish target is empty', 'set publish.target in switchyard.yaml');
  return {
    value: { kind: 'directory', path: isAbsolute(value) ? value : resolve(root, value) },
    errors: [],
    warnings: [],
  };
}

interface SignedBundle {
  manifest: Uint8Array;
  payload: Uint8Array;
  serial: number;
  commit: string;
  sha256: string;
}

async function readSigned(dist: string, env: string): Promise<Checked<SignedBundle>> {
  const manifestPath = join(dist, env, 'manifest.json');
  const manifest = await readFile(manifestPath).catch(() => undefined);
  if (!manifest)
    return failed(
      'E_PUBLISH_NOT_SIGNED',
      `${manifestPath} not found`,
      `run \`switchyard compile --env ${env}\` and \`switchyard sign\` first`,
    );
  const parsed = parseStrictJsonBytes(manifest);
  const signed = parsed.ok ? ((parsed.value as { signed?: Record<string, unknown> }).signed ?? {}) : {};
  const payloadRef = (signed.payload ?? {}) as { sha256?: unknown };
  if (
    signed.env !== env ||
    typeof signed.serial !== 'number' ||
    typeof payloadRef.sha256 !== 'string' ||
    !/^[0-9a-f]{64}$/.test(payloadRef.sha256)
  ) {
    return failed('E_PUBLISH_BAD_MANIFEST', `${manifestPath} is not a signed manifest for ${env}`, 'sign again');
  }
  const payload = await readFile(join(dist, env, 'payload', `${payloadRef.sha256}.json`)).catch(() => undefined);
  if (!payload || sha256Hex(payload) !== payloadRef.sha256) {
    return failed(
      'E_PUBLISH_PAYLOAD_MISMATCH',
      `the payload named by ${manifestPath} is missing or altered`,
      'compile and sign again',
    );
  }
  return {
    value: { manifest, payload, serial: signed.serial, commit: String(signed.commit ?? ''), sha256: payloadRef.sha256 },
    errors: [],
    warnings: [],
  };
}

/** Pure: the log with one more entry, newest last, bounded. Unreadable logs restart (they are a record, not state). */
export function appendPublishLog(existing: Uint8Array | undefined, record: PublishRecord): Uint8Array {
  let entries: unknown[] = [];
  if (existing) {
    try {
      const parsed: unknown = JSON.parse(Buffer.from(existing).toString('utf8'));
      if (Array.isArray(parsed)) entries = parsed;
    } catch {
      entries = [];
    }
  }
  return new TextEncoder().encode(`${JSON.stringify([...entries, record].slice(-MAX_LOG), null, 2)}\n`);
}

async function publishDirectory(
  dir: string,
  bundle: SignedBundle,
  record: Omit<PublishRecord, 'unchanged'>,
): Promise<Checked<PublishRecord>> {
  const result = await publishToDirectory(dir, bundle.manifest, bundle.payload);
  if (!result.ok) return failed(result.code, result.message, 'see docs/bundles.md');
  const full = { ...record, unchanged: result.unchanged };
  if (!result.unchanged) {
    const logPath = join(dir, 'published.json');
    await writeFileAtomic(logPath, appendPublishLog(await readFile(logPath).catch(() => undefined), full));
  }
  return { value: full, errors: [], warnings: [] };
}

/** Non-secret git commands: runGit reports git's stderr, never the command line. */
async function git(cwd: string, ...args: string[]): Promise<string> {
  return (await runGit(cwd, args, { maxBuffer: 16 * 1024 * 1024 })).toString('utf8').trim();
}

/** Thrown when the push itself failed, so the caller may retry once on top of the moved branch. */
class PushFailed extends SwitchyardError {
  override name = 'PushFailed';
  constructor(message: string) {
    super('E_PUBLISH_WRITE_FAILED', message);
  }
}

async function publishBranch(
  options: PublishBundleOptions,
  branch: string,
  bundle: SignedBundle,
  record: Omit<PublishRecord, 'unchanged'>,
): Promise<Checked<PublishRecord>> {
  const token = options.pushToken;
  try {
    try {
      return await publishBranchOnce(options, branch, bundle, record);
    } catch (e) {
      // Another publish (the other environment, or a kill switch) pushed to the same branch between our
      // fetch and our push: fetch again, redo the commit on top of it (the serial check runs again), push once more.
      if (!(e instanceof PushFailed)) throw e;
      return await publishBranchOnce(options, branch, bundle, record);
    }
  } catch (e) {
    const message = redactToken((e as Error).message.split('\n')[0] ?? '', token);
    return failed(
      'E_PUBLISH_WRITE_FAILED',
      `publishing to branch ${branch} failed: ${message}`,
      'check the branch and the token (contents: write)',
    );
  }
}

async function publishBranchOnce(
  options: PublishBundleOptions,
  branch: string,
  bundle: SignedBundle,
  record: Omit<PublishRecord, 'unchanged'>,
): Promise<Checked<PublishRecord>> {
  const { root } = options;
  const push = options.push ?? true;
  const token = options.pushToken;
  const work = await mkdtemp(join(tmpdir(), 'switchyard-pages-'));
  const tree = join(work, 'tree');
  try {
    const hasRemote = (await git(root, 'remote')).split('\n').includes('origin');
    // A missing remote branch is normal on the first publish.
    if (hasRemote && push)
      await runGitWithToken(
        root,
        ['fetch', '--quiet', 'origin', `+refs/heads/${branch}:refs/remotes/origin/${branch}`],
        token,
      ).catch(() => '');
    const local = await git(root, 'rev-parse', '--verify', '--quiet', `refs/heads/${branch}`).catch(() => '');
    const remote = hasRemote
      ? await git(root, 'rev-parse', '--verify', '--quiet', `refs/remotes/origin/${branch}`).catch(() => '')
      : '';
    const start = remote || local;
    if (start) {
      await git(root, 'worktree', 'add', '--quiet', '--detach', tree, start);
    } else {
      // First publish: a parentless commit that holds only published bundles (no helper branch is created).
      await git(root, 'worktree', 'add', '--quiet', '--detach', tree);
      await git(tree, 'rm', '-r', '--quiet', '--cached', '.').catch(() => '');
      await git(tree, 'clean', '-fdxq');
    }
    const published = await publishDirectory(tree, bundle, record);
    if (!published.value || published.value.unchanged) return published;
    await git(tree, 'add', '-A', '.');
    const treeId = await git(tree, 'write-tree');
    const sha = await git(
      tree,
      '-c',
      'user.name=switchyard-publish',
      '-c',
      'user.email=publish@switchyard.invalid',
      'commit-tree',
      treeId,
      ...(start ? ['-p', start] : []),
      '-m',
      `publish ${options.env} serial ${bundle.serial} (${bundle.commit.slice(0, 12)})`,
    );
    if (hasRemote && push) {
      try {
        await runGitWithToken(root, ['push', '--quiet', 'origin', `${sha}:refs/heads/${branch}`], token);
      } catch (e) {
        throw new PushFailed((e as Error).message);
      }
    }
    await git(root, 'update-ref', `refs/heads/${branch}`, sha);
    return published;
  } finally {
    await git(root, 'worktree', 'remove', '--force', tree).catch(() => '');
    await rm(work, { recursive: true, force: true });
  }
}

async function publishHttp(
  options: PublishBundleOptions,
  base: string,
  bundle: SignedBundle,
  record: Omit<PublishRecord, 'unchanged'>,
): Promise<Checked<PublishRecord>> {
  const auth: Record<string, string> = options.token ? { authorization: `Bearer ${options.token}` } : {};
  const url = (path: string): string => `${base}/${path}`;
  const put = async (path: string, body: Uint8Array, cacheControl: string): Promise<void> => {
    const response = await fetch(url(path), {
      method: 'PUT',
      body,
      headers: { 'content-type': 'application/json', 'cache-control': cacheControl, ...auth },
      signal: AbortSignal.timeout(30_000),
    });
    if (!response.ok) throw new Error(`PUT ${url(path)} → ${response.status} ${response.statusText}`);
  };
  const get = async (path: string): Promise<Uint8Array | undefined> => {
    const response = await fetch(url(path), {
      headers: { 'cache-control': 'no-cache', ...auth },
      signal: AbortSignal.timeout(30_000),
    });
    if (response.status === 404) return undefined;
    if (!response.ok) throw new Error(`GET ${url(path)} → ${response.status} ${response.statusText}`);
    return new Uint8Array(await response.arrayBuffer());
  };
  try {
    const current = await get(`${options.env}/manifest.json`);
    if (current && Buffer.from(current).equals(Buffer.from(bundle.manifest)))
      return { value: { ...record, unchanged: true }, errors: [], warnings: [] };
    if (current) {
      const parsed = parseStrictJsonBytes(current);
      const serial = parsed.ok ? (parsed.value as { signed?: { serial?: unknown } }).signed?.serial : undefined;
      if (typeof serial !== 'number') {
        return failed(
          'E_PUBLISH_TARGET_UNREADABLE',
          `the manifest at ${url(`${options.env}/manifest.json`)} is unreadable`,
          'remove it deliberately to replace it',
        );
      }
      if (bundle.serial <= serial) {
        return failed(
          'E_PUBLISH_SERIAL_NOT_HIGHER',
          `${url(`${options.env}/manifest.json`)} already has serial ${serial}; refusing serial ${bundle.serial}`,
          'publish from a newer commit on main',
        );
      }
    }
    await put(`${options.env}/payload/${bundle.sha256}.json`, bundle.payload, 'public, max-age=31536000, immutable');
    await put(`${options.env}/manifest.json`, bundle.manifest, 'no-cache');
    const full = { ...record, unchanged: false };
    await put('published.json', appendPublishLog(await get('published.json'), full), 'no-cache');
    return { value: full, errors: [], warnings: [] };
  } catch (e) {
    return failed('E_PUBLISH_WRITE_FAILED', (e as Error).message, 'check the URL and SWITCHYARD_PUBLISH_TOKEN');
  }
}

/** Publishes `<dist>/<env>` to the target and records it. */
export async function publishBundle(options: PublishBundleOptions): Promise<Checked<PublishRecord>> {
  const bundle = await readSigned(options.dist, options.env);
  if (!bundle.value) return { value: undefined, errors: bundle.errors, warnings: [] };
  const t = options.target;
  const record = {
    env: options.env,
    serial: bundle.value.serial,
    commit: bundle.value.commit,
    sha256: bundle.value.sha256,
    length: bundle.value.payload.byteLength,
    target: t.kind === 'directory' ? t.path : t.kind === 'branch' ? `branch:${t.branch}` : t.url,
    publishedAt: (options.now ?? (() => new Date()))().toISOString(),
  };
  if (t.kind === 'directory') return publishDirectory(t.path, bundle.value, record);
  if (t.kind === 'branch') return publishBranch(options, t.branch, bundle.value, record);
  return publishHttp(options, t.url, bundle.value, record);
}
