/**
 * Applications can install the published packages: build and `npm pack` the three, install the
 * tarballs into a fresh directory with npm, offline (the runtime has no dependencies; the data
 * package's drivers are packed from this repository's node_modules; the OpenFeature peer is linked
 * from there), then load them with plain `node` (ESM and CJS, no TypeScript loader), type-check a
 * consumer against the shipped declarations, and check the tarballs with publint and
 * arethetypeswrong. The source form refuses to pack or publish.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { cleanNpmEnv, packAll, RUNTIME_DIR } from '../scripts/dist.ts';
import { dependencyClosure, packInstalled } from './helpers/offline-deps.ts';

const run = promisify(execFile);
const ROOT_MODULES = fileURLToPath(new URL('../../../node_modules/', import.meta.url));
const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const TSC = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const BIN = join(ROOT_MODULES, '.bin');
// Any registry access fails fast instead of reaching the network.
const OFFLINE = cleanNpmEnv({ npm_config_registry: 'http://127.0.0.1:9/', npm_config_offline: 'true' });

let work: string;
let app: string;
let tarballs: { runtime: string; data: string; openfeature: string };

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'switchyard-pack-'));
  tarballs = await packAll(join(work, 'tarballs'));
  app = join(work, 'app');
  await mkdir(app);
  await writeFile(
    join(app, 'package.json'),
    JSON.stringify({ name: 'app', version: '1.0.0', private: true, type: 'module' }),
  );
  const peers = ['server-sdk', 'core'].map((n) => join(ROOT_MODULES, '@openfeature', n)).filter((p) => existsSync(p));
  const drivers = await packInstalled(
    dependencyClosure(REPO, ['pg', '@electric-sql/pglite', '@electric-sql/pglite-pgvector']),
    join(work, 'drivers'),
    OFFLINE,
  );
  await run(
    'npm',
    [
      'install',
      '--offline',
      '--no-audit',
      '--no-fund',
      '--ignore-scripts',
      '--legacy-peer-deps',
      '--cache',
      join(work, 'npm-cache'),
      tarballs.runtime,
      tarballs.data,
      tarballs.openfeature,
      ...drivers,
      ...peers,
    ],
    { cwd: app, env: OFFLINE },
  );
}, 240_000);

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('published packages', () => {
  it('ship compiled JavaScript and declarations, no TypeScript sources', async () => {
    const { stdout } = await run('tar', ['tzf', tarballs.runtime]);
    const entries = stdout.trim().split('\n');
    expect(entries).toContain('package/dist/index.js');
    expect(entries).toContain('package/dist/index.d.ts');
    expect(entries.filter((e) => e.endsWith('.ts') && !e.endsWith('.d.ts'))).toEqual([]);
    expect(entries.filter((e) => e.startsWith('package/src/'))).toEqual([]);
    expect(entries).toContain('package/dist/tools.js');
    for (const tarball of Object.values(tarballs)) {
      const listed = (await run('tar', ['tzf', tarball])).stdout.trim().split('\n');
      expect(listed, tarball).toEqual(
        expect.arrayContaining([
          'package/README.md',
          'package/LICENSE',
          'package/package.json',
          'package/dist/index.js',
          'package/dist/index.d.ts',
        ]),
      );
      expect(
        listed.filter((e) => e.startsWith('package/src/') || (e.endsWith('.ts') && !e.endsWith('.d.ts'))),
        tarball,
      ).toEqual([]);
    }
    expect(await readdir(join(app, 'node_modules', '@switchyard'))).toEqual(['data', 'openfeature', 'runtime']);
  });

  it("load with require() too (CommonJS consumers, through Node's require(esm))", async () => {
    await writeFile(
      join(app, 'consumer.cjs'),
      [
        "const r = require('@switchyard/runtime');",
        "const b = require('@switchyard/runtime/bundle');",
        "const d = require('@switchyard/data');",
        'console.log(JSON.stringify({ client: typeof r.createClient, bucket: typeof b.bucketOf, store: typeof d.openStore, sink: typeof d.BatchedSink }));',
      ].join('\n'),
    );
    const { stdout } = await run(process.execPath, ['consumer.cjs'], { cwd: app, env: cleanNpmEnv() });
    expect(JSON.parse(stdout)).toEqual({ client: 'function', bucket: 'function', store: 'function', sink: 'function' });
  }, 60_000);

  it('the data package stores what the runtime records, on embedded PGlite', async () => {
    const script = `
      const { createMemorySink } = await import('@switchyard/runtime');
      const { openStore } = await import('@switchyard/data');
      const store = await openStore({ backend: 'pglite' });
      const sink = store.createSink({ flushIntervalMs: 10, source: 'pack-test' });
      sink.write({ type: 'metric', time: Date.now(), serial: 1, env: 'production', subject: 'experiment', key: 'exp', variant: 'a', unitKey: 'u1', metric: 'm', value: 1 });
      await sink.close();
      const rows = await store.client.query('SELECT count(*)::int AS n FROM ' + store.schema + '.metrics');
      console.log(JSON.stringify({ stats: sink.stats(), rows: rows[0].n, memory: typeof createMemorySink }));
      await store.close();`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      cwd: app,
      env: cleanNpmEnv(),
    });
    expect(JSON.parse(stdout)).toMatchObject({
      stats: { accepted: 1, written: 1, dropped: 0 },
      rows: 1,
      memory: 'function',
    });
  }, 60_000);

  it('pass publint and arethetypeswrong', async () => {
    for (const tarball of Object.values(tarballs)) {
      const lint = await run(join(BIN, 'publint'), ['run', tarball, '--strict']).then(
        (r) => ({ ok: true, out: r.stdout }),
        (e: { stdout?: string; stderr?: string }) => ({ ok: false, out: `${e.stdout}${e.stderr}` }),
      );
      expect(lint.out, tarball).toMatch(/All good!/);
      expect(lint.ok, lint.out).toBe(true);
      // node16 profile: engines say Node ≥ 20.20, so node10 resolution is out of scope; a require()
      // of these ESM files works there through require(esm) (proven above), hence that one rule off.
      const attw = await run(join(BIN, 'attw'), [
        tarball,
        '--profile',
        'node16',
        '--ignore-rules',
        'cjs-resolves-to-esm',
        '--format',
        'json',
      ]).then(
        (r) => ({ ok: true, out: r.stdout }),
        (e: { stdout?: string }) => ({ ok: false, out: e.stdout ?? '' }),
      );
      expect(attw.ok, `${tarball}: ${attw.out.slice(0, 2000)}`).toBe(true);
    }
  }, 120_000);

  it('the source form refuses to be packed or published', async () => {
    const dest = join(work, 'source-pack');
    await mkdir(dest);
    const pack = await run('npm', ['pack', '--pack-destination', dest], { cwd: RUNTIME_DIR, env: OFFLINE }).then(
      () => null,
      (e: { stderr?: string }) => e.stderr ?? '',
    );
    expect(pack).toMatch(/E_PACK_SOURCE @switchyard\/runtime/);
    expect(await readdir(dest)).toEqual([]);
    // Even with scripts off, the source form is private: npm skips it without contacting the
    // registry (an attempt would fail loudly: the registry here is a closed port).
    const publish = await run('npm', ['publish', '--ignore-scripts'], {
      cwd: join(RUNTIME_DIR, '..', 'data'),
      env: OFFLINE,
    }).then(
      (r) => `${r.stdout}${r.stderr}`,
      (e: { stdout?: string; stderr?: string }) => `${e.stdout ?? ''}${e.stderr ?? ''}`,
    );
    expect(publish).toMatch(/@switchyard\/data, marked as private/);
    expect(publish).not.toMatch(/ECONNREFUSED|E404|published/i);
  }, 60_000);

  it('load with plain node (no TypeScript loader) and work', async () => {
    const script = `
      const r = await import('@switchyard/runtime');
      const b = await import('@switchyard/runtime/bundle');
      const o = await import('@switchyard/openfeature');
      const e = new b.Engine();
      let code = null;
      try { r.createClient({ source: 'http://127.0.0.1:9', env: 'production', trustedKeys: '{}' }); } catch (err) { code = err.code; }
      console.log(JSON.stringify({
        createClient: typeof r.createClient,
        engine: e.isEnabled('flag').errorCode,
        optionsError: code,
        bucket: b.bucketOf('seed', 'user-1'),
        toolsInMain: 'Engine' in r,
        provider: new o.SwitchyardProvider({ onChange: () => () => undefined }).metadata.name,
      }));`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      cwd: app,
      env: cleanNpmEnv(),
    });
    const out = JSON.parse(stdout) as Record<string, unknown>;
    expect(out).toMatchObject({
      createClient: 'function',
      engine: 'NOT_READY',
      optionsError: 'E_CLIENT_OPTIONS',
      provider: 'switchyard',
      toolsInMain: false,
    });
    expect(out.bucket).toBeGreaterThanOrEqual(0);
    expect(out.bucket).toBeLessThan(1_000_000);
  }, 60_000);

  it('type-check a TypeScript consumer against the shipped declarations', async () => {
    await writeFile(
      join(app, 'app.ts'),
      [
        "import { createClient, type ClientOptions, type ModelResolution } from '@switchyard/runtime';",
        "import { Engine } from '@switchyard/runtime/bundle';",
        "import { SwitchyardProvider } from '@switchyard/openfeature';",
        "import { openStore, type EventStore } from '@switchyard/data';",
        "export async function store(): Promise<EventStore> { return openStore({ backend: 'pglite' }); }",
        "const options: ClientOptions = { source: 'https://config.example.com', env: 'production', trustedKeys: '{}', cacheDir: null };",
        "const r: ModelResolution = new Engine().resolveModel('chat');",
        'export const used: unknown[] = [createClient, SwitchyardProvider, options, r.pin];',
        '',
      ].join('\n'),
    );
    await writeFile(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          types: ['node'],
          typeRoots: [join(ROOT_MODULES, '@types')],
        },
        files: ['app.ts'],
      }),
    );
    const r = await run(process.execPath, [TSC, '-p', app], { cwd: app }).then(
      () => ({ ok: true, out: '' }),
      (e: { stdout?: string }) => ({ ok: false, out: e.stdout ?? '' }),
    );
    expect(r.out).toBe('');
    expect(r.ok).toBe(true);
  }, 120_000);
});
