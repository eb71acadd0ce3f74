import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  buildSigned,
  canonicalBytes,
  compileBundle,
  generateSigningKey,
  signManifest,
  type SigningKey,
} from '../../src/bundle/index.ts';
import { loadProject } from '../../src/config/index.ts';
import { parsePublishTarget, publishBundle, type PublishTarget } from '../../src/github/publish-target.ts';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');
const gitEnv = {
  ...process.env,
  GIT_AUTHOR_NAME: 't',
  GIT_AUTHOR_EMAIL: 't@t',
  GIT_COMMITTER_NAME: 't',
  GIT_COMMITTER_EMAIL: 't@t',
  GIT_CONFIG_GLOBAL: '/dev/null',
};
const git = async (cwd: string, ...args: string[]): Promise<string> =>
  (await run('git', args, { cwd, env: gitEnv })).stdout.trim();

/** Writes what `compile` + `sign` leave in dist/<env>/ for the demo organisation at a given serial. */
async function signedDist(
  dist: string,
  env: string,
  serial: number,
  key: SigningKey,
  percent?: number,
): Promise<string> {
  const project = await loadProject(root);
  if (!project.value) throw new Error('demo project does not load');
  if (percent !== undefined) {
    const flag = project.value.rollouts.get('new-onboarding-tips');
    if (flag && 'percent' in flag) flag.percent = percent;
  }
  const commit = serial.toString(16).padStart(40, '0');
  const compiled = compileBundle(project.value, { env, commit });
  if (!compiled.value) throw new Error(JSON.stringify(compiled.errors));
  const signed = buildSigned({
    env,
    serial,
    commit,
    createdAt: new Date('2026-01-01T00:00:00Z'),
    expires: new Date('2026-02-01T00:00:00Z'),
    payload: { sha256: compiled.value.sha256, length: compiled.value.bytes.byteLength },
  });
  await mkdir(join(dist, env, 'payload'), { recursive: true });
  await writeFile(join(dist, env, 'payload', `${compiled.value.sha256}.json`), compiled.value.bytes);
  await writeFile(join(dist, env, 'manifest.json'), canonicalBytes(signManifest(signed, [key])));
  return compiled.value.sha256;
}

describe('publish targets', () => {
  let dir: string;
  let key: SigningKey;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchyard-publish-'));
    key = generateSigningKey();
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('parses directory, branch and URL targets, and refuses bad ones with a code', () => {
    expect(parsePublishTarget('dist/published', '/repo').value).toEqual({
      kind: 'directory',
      path: '/repo/dist/published',
    });
    expect(parsePublishTarget('branch:gh-pages', '/repo').value).toEqual({ kind: 'branch', branch: 'gh-pages' });
    expect(parsePublishTarget('https://bucket.example.com/sy/', '/repo').value).toEqual({
      kind: 'http',
      url: 'https://bucket.example.com/sy',
    });
    expect(parsePublishTarget('branch:../x', '/repo').errors[0]?.code).toBe('E_PUBLISH_TARGET');
    expect(parsePublishTarget('', '/repo').errors[0]?.code).toBe('E_PUBLISH_TARGET');
  });

  it('refuses URL targets that carry credentials or would send the token in clear, without echoing the secret', () => {
    const refused = (text: string): { code?: string; text: string } => {
      const r = parsePublishTarget(text, '/repo');
      expect(r.value).toBeUndefined();
      return { code: r.errors[0]?.code, text: JSON.stringify(r.errors) };
    };
    const userinfo = refused('https://deploy:hunter2@bucket.example.com/sy');
    expect(userinfo.code).toBe('E_PUBLISH_TARGET_CREDENTIALS');
    expect(userinfo.text).not.toContain('hunter2');
    const signed = refused('https://bucket.example.com/sy?X-Amz-Signature=abcdef123456&X-Amz-Credential=AKIA');
    expect(signed.code).toBe('E_PUBLISH_TARGET_CREDENTIALS');
    expect(signed.text).not.toContain('abcdef123456');
    expect(refused('https://bucket.example.com/sy#token=zzz').code).toBe('E_PUBLISH_TARGET_CREDENTIALS');
    expect(refused('http://bucket.example.com/sy').code).toBe('E_PUBLISH_TARGET_INSECURE');
    expect(refused('http://10.0.0.5:8080/sy').code).toBe('E_PUBLISH_TARGET_INSECURE');
    for (const local of ['http://127.0.0.1:9000/sy', 'http://localhost:9000/sy', 'http://[::1]:9000/sy']) {
      expect(parsePublishTarget(local, '/repo').value?.kind, local).toBe('http');
    }
  });

  it('directory: payload + manifest + published.json; a retry is a no-op; a lower serial is refused', async () => {
    const dist = join(dir, 'dist');
    const target: PublishTarget = { kind: 'directory', path: join(dir, 'published') };
    const sha = await signedDist(dist, 'staging', 7, key);
    const first = await publishBundle({ root: dir, dist, env: 'staging', target });
    expect(first.errors).toEqual([]);
    expect(first.value).toMatchObject({ env: 'staging', serial: 7, sha256: sha, unchanged: false });
    expect(await readFile(join(dir, 'published', 'staging', 'manifest.json'))).toEqual(
      await readFile(join(dist, 'staging', 'manifest.json')),
    );
    expect(await readFile(join(dir, 'published', 'staging', 'payload', `${sha}.json`))).toEqual(
      await readFile(join(dist, 'staging', 'payload', `${sha}.json`)),
    );
    const retry = await publishBundle({ root: dir, dist, env: 'staging', target });
    expect(retry.value?.unchanged).toBe(true);
    const log = JSON.parse(await readFile(join(dir, 'published', 'published.json'), 'utf8'));
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ env: 'staging', serial: 7, sha256: sha });

    await rm(dist, { recursive: true });
    await signedDist(dist, 'staging', 6, key, 5);
    const older = await publishBundle({ root: dir, dist, env: 'staging', target });
    expect(older.errors[0]?.code).toBe('E_PUBLISH_SERIAL_NOT_HIGHER');
  });

  it('branch: commits the layout to a gh-pages-style branch and pushes it to origin', async () => {
    const origin = join(dir, 'origin.git');
    const repo = join(dir, 'repo');
    await git(dir, 'init', '-q', '--bare', origin);
    await git(dir, 'init', '-q', '-b', 'main', repo);
    await writeFile(join(repo, 'switchyard.yaml'), 'project: x\n');
    await git(repo, 'add', '-A');
    await git(repo, 'commit', '-q', '-m', 'init');
    await git(repo, 'remote', 'add', 'origin', origin);
    await git(repo, 'push', '-q', 'origin', 'main');
    const dist = join(dir, 'dist');
    const target: PublishTarget = { kind: 'branch', branch: 'gh-pages' };

    const sha1 = await signedDist(dist, 'production', 10, key);
    const first = await publishBundle({ root: repo, dist, env: 'production', target });
    expect(first.errors).toEqual([]);
    await rm(dist, { recursive: true });
    const sha2 = await signedDist(dist, 'production', 11, key, 100);
    const second = await publishBundle({ root: repo, dist, env: 'production', target });
    expect(second.errors).toEqual([]);
    expect(sha2).not.toBe(sha1);

    const files = (await git(origin, 'ls-tree', '-r', '--name-only', 'gh-pages')).split('\n');
    expect(files.sort()).toEqual(
      [
        'production/manifest.json',
        `production/payload/${sha1}.json`,
        `production/payload/${sha2}.json`,
        'published.json',
      ].sort(),
    );
    expect(await git(origin, 'log', '--format=%s', 'gh-pages')).toBe(
      `publish production serial 11 (${(11).toString(16).padStart(40, '0').slice(0, 12)})\npublish production serial 10 (${(10).toString(16).padStart(40, '0').slice(0, 12)})`,
    );
    const manifest = JSON.parse(await git(origin, 'show', 'gh-pages:production/manifest.json'));
    expect(manifest.signed.serial).toBe(11);
    // The working tree of the config repo is untouched and no worktree is left behind.
    expect(await git(repo, 'status', '--porcelain')).toBe('');
    expect((await git(repo, 'worktree', 'list')).split('\n')).toHaveLength(1);
    expect((await git(repo, 'for-each-ref', '--format=%(refname)', 'refs/heads')).split('\n')).toEqual([
      'refs/heads/gh-pages',
      'refs/heads/main',
    ]);
  });

  /** A config repo with a bare `origin`; returns both paths. */
  async function repoWithOrigin(name: string): Promise<{ origin: string; repo: string }> {
    const origin = join(dir, `${name}-origin.git`);
    const repo = join(dir, name);
    await git(dir, 'init', '-q', '--bare', origin);
    await git(dir, 'init', '-q', '-b', 'main', repo);
    await writeFile(join(repo, 'switchyard.yaml'), 'project: x\n');
    await git(repo, 'add', '-A');
    await git(repo, 'commit', '-q', '-m', 'init');
    await git(repo, 'remote', 'add', 'origin', origin);
    await git(repo, 'push', '-q', 'origin', 'main');
    return { origin, repo };
  }

  it('branch: a failed push reports neither the token nor its base64, and the token never reaches argv', async () => {
    const { repo } = await repoWithOrigin('leak');
    const token = 'ghs_SuperSecretToken1234567890';
    const b64 = Buffer.from(`x-access-token:${token}`).toString('base64');
    // The hook runs inside `git push`: it records its parent's argv and the env-config git was given, then rejects.
    const seen = join(dir, 'seen');
    await writeFile(
      join(repo, '.git', 'hooks', 'pre-push'),
      `#!/bin/sh\ntr '\\0' ' ' < /proc/$PPID/cmdline >> "${seen}.argv"\necho >> "${seen}.argv"\nprintf '%s=%s\\n' "$GIT_CONFIG_KEY_0" "$GIT_CONFIG_VALUE_0" >> "${seen}.env"\necho "rejected by the test hook" >&2\nexit 1\n`,
      { mode: 0o755 },
    );
    const dist = join(dir, 'dist');
    await signedDist(dist, 'production', 10, key);
    const result = await publishBundle({
      root: repo,
      dist,
      env: 'production',
      target: { kind: 'branch', branch: 'gh-pages' },
      pushToken: token,
    });
    expect(result.errors[0]?.code).toBe('E_PUBLISH_WRITE_FAILED');
    const text = JSON.stringify(result.errors);
    expect(text).toContain('git push failed');
    expect(text).not.toContain(token);
    expect(text).not.toContain(b64);
    const argv = await readFile(`${seen}.argv`, 'utf8');
    expect(argv).toContain(' push ');
    expect(argv).not.toContain(b64);
    expect(argv).not.toContain('extraheader');
    // The header reached git through the environment (and the push was retried once).
    expect((await readFile(`${seen}.env`, 'utf8')).trim().split('\n')).toEqual([
      `http.https://github.com/.extraheader=AUTHORIZATION: basic ${b64}`,
      `http.https://github.com/.extraheader=AUTHORIZATION: basic ${b64}`,
    ]);
  });

  it('branch: when another publish lands on the branch first, fetches, recommits on top and pushes both', async () => {
    const { origin, repo } = await repoWithOrigin('race');
    // The "other job" (staging) has its commit ready in a second clone and pushes it while we push.
    const other = join(dir, 'other');
    await git(dir, 'clone', '-q', '-b', 'main', origin, other);
    const otherDist = join(dir, 'dist-staging');
    const stagingSha = await signedDist(otherDist, 'staging', 10, key);
    const staged = await publishBundle({
      root: other,
      dist: otherDist,
      env: 'staging',
      target: { kind: 'branch', branch: 'gh-pages' },
      push: false,
    });
    expect(staged.errors).toEqual([]);
    const marker = join(dir, 'raced');
    await writeFile(
      join(repo, '.git', 'hooks', 'pre-push'),
      `#!/bin/sh\nif [ ! -e "${marker}" ]; then touch "${marker}"; env -u GIT_DIR -u GIT_INDEX_FILE -u GIT_WORK_TREE git -C "${other}" push -q origin gh-pages:gh-pages >&2; fi\nexit 0\n`,
      { mode: 0o755 },
    );
    const dist = join(dir, 'dist');
    const productionSha = await signedDist(dist, 'production', 10, key);
    const result = await publishBundle({
      root: repo,
      dist,
      env: 'production',
      target: { kind: 'branch', branch: 'gh-pages' },
    });
    expect(result.errors).toEqual([]);
    const files = (await git(origin, 'ls-tree', '-r', '--name-only', 'gh-pages')).split('\n').sort();
    expect(files).toEqual(
      [
        'production/manifest.json',
        `production/payload/${productionSha}.json`,
        'published.json',
        'staging/manifest.json',
        `staging/payload/${stagingSha}.json`,
      ].sort(),
    );
    const log = JSON.parse(await git(origin, 'show', 'gh-pages:published.json'));
    expect(log.map((r: { env: string }) => r.env)).toEqual(['staging', 'production']);
    expect(await git(repo, 'rev-parse', 'gh-pages')).toBe(await git(origin, 'rev-parse', 'gh-pages'));
  });

  describe('http(s) object store via PUT', () => {
    let server: Server;
    let base: string;
    const objects = new Map<string, { body: Buffer; headers: Record<string, string | string[] | undefined> }>();
    const puts: string[] = [];
    beforeEach(async () => {
      objects.clear();
      puts.length = 0;
      server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          if (req.headers.authorization !== 'Bearer s3cret') {
            res.writeHead(403).end();
            return;
          }
          const path = req.url ?? '/';
          if (req.method === 'PUT') {
            puts.push(path);
            objects.set(path, { body: Buffer.concat(chunks), headers: req.headers });
            res.writeHead(200).end();
            return;
          }
          const object = objects.get(path);
          if (!object) res.writeHead(404).end();
          else res.writeHead(200, { 'content-type': 'application/json' }).end(object.body);
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/bucket/switchyard`;
    });
    afterEach(async () => new Promise<void>((r) => server.close(() => r())));

    it('uploads the payload first and the manifest last, with cache headers, and refuses an older serial', async () => {
      const dist = join(dir, 'dist');
      const target: PublishTarget = { kind: 'http', url: base };
      const sha = await signedDist(dist, 'staging', 3, key);
      const first = await publishBundle({ root: dir, dist, env: 'staging', target, token: 's3cret' });
      expect(first.errors).toEqual([]);
      expect(puts).toEqual([
        `/bucket/switchyard/staging/payload/${sha}.json`,
        '/bucket/switchyard/staging/manifest.json',
        '/bucket/switchyard/published.json',
      ]);
      expect(objects.get('/bucket/switchyard/staging/manifest.json')?.headers['cache-control']).toBe('no-cache');
      expect(objects.get(`/bucket/switchyard/staging/payload/${sha}.json`)?.headers['cache-control']).toBe(
        'public, max-age=31536000, immutable',
      );
      expect(objects.get('/bucket/switchyard/staging/manifest.json')?.body).toEqual(
        await readFile(join(dist, 'staging', 'manifest.json')),
      );

      await rm(dist, { recursive: true });
      await signedDist(dist, 'staging', 2, key, 5);
      const older = await publishBundle({ root: dir, dist, env: 'staging', target, token: 's3cret' });
      expect(older.errors[0]?.code).toBe('E_PUBLISH_SERIAL_NOT_HIGHER');
      const denied = await publishBundle({ root: dir, dist, env: 'staging', target, token: 'wrong' });
      expect(denied.errors[0]?.code).toBe('E_PUBLISH_WRITE_FAILED');
      expect(denied.errors[0]?.message).toContain('403');
    });
  });

  it('refuses a dist that was not signed, with a code', async () => {
    const result = await publishBundle({
      root: dir,
      dist: join(dir, 'nothing'),
      env: 'staging',
      target: { kind: 'directory', path: join(dir, 'out') },
    });
    expect(result.errors[0]?.code).toBe('E_PUBLISH_NOT_SIGNED');
  });
});
