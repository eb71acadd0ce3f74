/**
 * Applications can install the published packages: build and `npm pack` both, install the tarballs
 * into a fresh directory with npm (offline: the runtime has no dependencies; the OpenFeature peer
 * is linked from this repository's node_modules), then load them with plain `node` (no TypeScript
 * loader) and type-check a consumer against the shipped declarations.
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
import { cleanNpmEnv, packAll } from '../scripts/dist.ts';

const run = promisify(execFile);
const ROOT_MODULES = fileURLToPath(new URL('../../../node_modules/', import.meta.url));
const TSC = createRequire(import.meta.url).resolve('typescript/bin/tsc');
// Any registry access fails fast instead of reaching the network.
const OFFLINE = cleanNpmEnv({ npm_config_registry: 'http://127.0.0.1:9/', npm_config_offline: 'true' });

let work: string;
let app: string;
let tarballs: { runtime: string; openfeature: string };

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'switchyard-pack-'));
  tarballs = await packAll(join(work, 'tarballs'));
  app = join(work, 'app');
  await mkdir(app);
  await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true, type: 'module' }));
  const peers = ['server-sdk', 'core'].map((n) => join(ROOT_MODULES, '@openfeature', n)).filter((p) => existsSync(p));
  await run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', '--legacy-peer-deps', '--cache', join(work, 'npm-cache'), tarballs.runtime, tarballs.openfeature, ...peers], { cwd: app, env: OFFLINE });
}, 180_000);

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
    expect(await readdir(join(app, 'node_modules', '@switchyard'))).toEqual(['openfeature', 'runtime']);
  });

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
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: app, env: cleanNpmEnv() });
    const out = JSON.parse(stdout) as Record<string, unknown>;
    expect(out).toMatchObject({ createClient: 'function', engine: 'NOT_READY', optionsError: 'E_CLIENT_OPTIONS', provider: 'switchyard', toolsInMain: false });
    expect(out.bucket).toBeGreaterThanOrEqual(0);
    expect(out.bucket).toBeLessThan(1_000_000);
  }, 60_000);

  it('type-check a TypeScript consumer against the shipped declarations', async () => {
    await writeFile(join(app, 'app.ts'), [
      "import { createClient, type ClientOptions, type ModelResolution } from '@switchyard/runtime';",
      "import { Engine } from '@switchyard/runtime/bundle';",
      "import { SwitchyardProvider } from '@switchyard/openfeature';",
      "const options: ClientOptions = { source: 'https://config.example.com', env: 'production', trustedKeys: '{}', cacheDir: null };",
      "const r: ModelResolution = new Engine().resolveModel('chat');",
      'export const used: unknown[] = [createClient, SwitchyardProvider, options, r.pin];',
      '',
    ].join('\n'));
    await writeFile(join(app, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: false, types: ['node'], typeRoots: [join(ROOT_MODULES, '@types')] },
      files: ['app.ts'],
    }));
    const r = await run(process.execPath, [TSC, '-p', app], { cwd: app }).then(() => ({ ok: true, out: '' }), (e: { stdout?: string }) => ({ ok: false, out: e.stdout ?? '' }));
    expect(r.out).toBe('');
    expect(r.ok).toBe(true);
  }, 120_000);
});
