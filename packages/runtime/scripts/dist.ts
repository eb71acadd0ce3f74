/**
 * Builds the publishable forms of `@switchyard/runtime`, `@switchyard/data` and `@switchyard/openfeature`.
 *
 * Inside this repository the packages export their TypeScript sources (`exports` → `./src/index.ts`)
 * so that tsx and vitest need no build step after `npm ci`. Applications on Node 20 cannot load
 * TypeScript (and Node 22 refuses type stripping under node_modules), so what is published is a
 * staged copy: `dist/*.js` + `dist/*.d.ts` compiled by tsc (`rewriteRelativeImportExtensions`), and a
 * package.json whose `exports` point at dist.
 *
 *   tsx packages/runtime/scripts/dist.ts build <outDir>   # the package in cwd, staged: <outDir>/{package.json,dist/}
 *   tsx packages/runtime/scripts/dist.ts pack <destDir>   # all three packages → <destDir>/*.tgz
 *
 * The source form cannot be packed or published by mistake: each package's `prepack` script
 * (`refuse-source-pack.mjs`) fails while `exports` point at TypeScript, and the source form is
 * `private`. The staged form has neither.
 *
 * The package scripts write under the repository's top-level `dist/` (ignored by git and eslint),
 * never into the package directories.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const PACKAGES = fileURLToPath(new URL('../../', import.meta.url));
export const RUNTIME_DIR = join(PACKAGES, 'runtime');
export const OPENFEATURE_DIR = join(PACKAGES, 'openfeature');
export const DATA_DIR = join(PACKAGES, 'data');
const REPO_ROOT = join(PACKAGES, '..');
const TSC = createRequire(import.meta.url).resolve('typescript/bin/tsc');

async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await files(p)));
    else out.push(p);
  }
  return out;
}

/**
 * tsc rewrites `./x.ts` to `./x.js` in emitted JavaScript but keeps it in declaration files;
 * consumers resolve `./x.js` to `./x.d.ts`, so declarations get the same rewrite.
 */
async function rewriteDeclarations(outDir: string): Promise<void> {
  for (const f of await files(outDir)) {
    if (!f.endsWith('.d.ts')) continue;
    const text = await readFile(f, 'utf8');
    const next = text.replace(/((?:from|import)\s*\(?\s*['"])(\.\.?\/[^'"]*?)\.ts(['"])/g, '$1$2.js$3');
    if (next !== text) await writeFile(f, next);
  }
}

/**
 * Compiles `pkgDir` (its tsconfig.build.json) into `outDir`. For openfeature, `runtimeTypes` is a
 * built runtime dist whose declarations stand in for `@switchyard/runtime` (the workspace package
 * resolves to sources, which tsc would otherwise try to emit too).
 */
export async function buildPackage(pkgDir: string, outDir: string, runtimeTypes?: string): Promise<void> {
  let project = join(pkgDir, 'tsconfig.build.json');
  let temp: string | null = null;
  if (runtimeTypes !== undefined) {
    temp = await mkdtemp(join(tmpdir(), 'switchyard-tsconfig-'));
    project = join(temp, 'tsconfig.json');
    await writeFile(
      project,
      JSON.stringify({
        extends: join(pkgDir, 'tsconfig.build.json'),
        compilerOptions: {
          rootDir: join(pkgDir, 'src'),
          // Type roots are looked up from the config's directory, which is a temp dir here.
          typeRoots: [join(PACKAGES, '..', 'node_modules', '@types')],
          paths: {
            '@switchyard/runtime': [join(runtimeTypes, 'index.d.ts')],
            '@switchyard/runtime/bundle': [join(runtimeTypes, 'tools.d.ts')],
          },
        },
        include: [join(pkgDir, 'src')],
      }),
    );
  }
  try {
    await rm(outDir, { recursive: true, force: true });
    await run(process.execPath, [TSC, '-p', project, '--outDir', outDir], { cwd: pkgDir });
    await rewriteDeclarations(outDir);
  } catch (e) {
    const out = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`tsc failed for ${pkgDir}: ${out.stdout ?? ''}${out.stderr ?? ''}${out.message}`);
  } finally {
    if (temp !== null) await rm(temp, { recursive: true, force: true });
  }
}

/**
 * The published package.json: every source entry (`./src/x.ts`) maps to its compiled `./dist/x.js`
 * and `.d.ts` (so subpaths such as `@switchyard/runtime/bundle` ship too); files point at dist;
 * nothing workspace-only (scripts, devDependencies, the `prepack` guard).
 */
export function publishedManifest(pkg: Record<string, unknown>): Record<string, unknown> {
  const { scripts: _scripts, devDependencies: _dev, private: _private, exports: sourceExports, ...rest } = pkg;
  const exports: Record<string, unknown> = {};
  for (const [subpath, target] of Object.entries(
    (sourceExports ?? { '.': './src/index.ts' }) as Record<string, string>,
  )) {
    const m = /^\.\/src\/(.+)\.ts$/.exec(target);
    if (!m) throw new Error(`cannot publish export ${subpath} → ${target}: entries must be ./src/<name>.ts`);
    exports[subpath] = { types: `./dist/${m[1]}.d.ts`, import: `./dist/${m[1]}.js`, default: `./dist/${m[1]}.js` };
  }
  exports['./package.json'] = './package.json';
  return { ...rest, main: './dist/index.js', types: './dist/index.d.ts', exports, files: ['dist'] };
}

/** Writes the publishable package (dist/ + rewritten package.json) into `stagingDir`. */
export async function stage(pkgDir: string, stagingDir: string, runtimeTypes?: string): Promise<void> {
  await rm(stagingDir, { recursive: true, force: true });
  await mkdir(stagingDir, { recursive: true });
  await buildPackage(pkgDir, join(stagingDir, 'dist'), runtimeTypes);
  const pkg = JSON.parse(await readFile(join(pkgDir, 'package.json'), 'utf8')) as Record<string, unknown>;
  await writeFile(join(stagingDir, 'package.json'), JSON.stringify(publishedManifest(pkg), null, 2) + '\n');
  // Every tarball carries its README and the repository's LICENSE (a package may ship its own).
  await cp(join(pkgDir, 'README.md'), join(stagingDir, 'README.md'));
  await cp(join(pkgDir, 'LICENSE'), join(stagingDir, 'LICENSE')).catch(() =>
    cp(join(REPO_ROOT, 'LICENSE'), join(stagingDir, 'LICENSE')),
  );
}

/** The environment without npm_* variables an enclosing `npm run`/`npm test` sets (workspace, prefix …). */
export function cleanNpmEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k)) env[k] = v;
  return { ...env, ...extra };
}

async function npmPack(stagingDir: string, destDir: string): Promise<string> {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const { stdout } = await run(npm, ['pack', stagingDir, '--pack-destination', destDir, '--json', '--ignore-scripts'], {
    cwd: destDir,
    env: cleanNpmEnv(),
  });
  const [info] = JSON.parse(stdout) as Array<{ filename: string }>;
  if (info === undefined) throw new Error(`npm pack printed no file for ${stagingDir}`);
  return join(destDir, info.filename);
}

/** Builds the three packages and packs them into `destDir`; returns the tarball paths. */
export async function packAll(destDir: string): Promise<{ runtime: string; data: string; openfeature: string }> {
  await mkdir(destDir, { recursive: true });
  const staging = await mkdtemp(join(tmpdir(), 'switchyard-stage-'));
  try {
    const runtimeStage = join(staging, 'runtime');
    await stage(RUNTIME_DIR, runtimeStage);
    await stage(DATA_DIR, join(staging, 'data'), join(runtimeStage, 'dist'));
    await stage(OPENFEATURE_DIR, join(staging, 'openfeature'), join(runtimeStage, 'dist'));
    return {
      runtime: await npmPack(runtimeStage, destDir),
      data: await npmPack(join(staging, 'data'), destDir),
      openfeature: await npmPack(join(staging, 'openfeature'), destDir),
    };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

async function main(argv: string[]): Promise<number> {
  const [command, target] = argv;
  if (command === 'pack' && target !== undefined) {
    console.log(JSON.stringify(await packAll(resolve(target)), null, 2));
    return 0;
  }
  if (command === 'build' && target !== undefined) {
    const pkgDir = resolve(process.cwd());
    const outDir = resolve(target);
    // The output directory is replaced: never the package itself or anything containing it.
    if (pkgDir === outDir || pkgDir.startsWith(outDir + sep))
      throw new Error(`refusing to replace ${outDir}: it contains the package`);
    if (pkgDir === resolve(OPENFEATURE_DIR) || pkgDir === resolve(DATA_DIR)) {
      const types = await mkdtemp(join(tmpdir(), 'switchyard-runtime-types-'));
      try {
        await buildPackage(RUNTIME_DIR, types);
        await stage(pkgDir, outDir, types);
      } finally {
        await rm(types, { recursive: true, force: true });
      }
    } else {
      await stage(pkgDir, outDir);
    }
    console.log(`built ${outDir} (publish with: npm publish ${outDir})`);
    return 0;
  }
  console.error('usage: dist.ts build <outDir> | dist.ts pack <destDir>');
  return 2;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(e instanceof Error ? e.message : String(e));
      process.exit(1);
    },
  );
}
