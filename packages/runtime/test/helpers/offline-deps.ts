/**
 * Tarballs of installed npm packages and everything they depend on, packed from this repository's
 * node_modules, so a fresh directory can `npm install --offline` a package with dependencies (the
 * data package's database drivers) without a registry: npm resolves each dependency to a tarball
 * given on the same command line. Optional dependencies that are not installed are left out, as
 * npm itself does.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The installed directory `name` resolves to from `from` (Node's node_modules walk), or null. */
function locate(name: string, from: string, root: string): string | null {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === root || dirname(dir) === dir) return null;
  }
}

/** Installed directories of `names` and their dependency closure (dependencies + peers present). */
export function dependencyClosure(root: string, names: readonly string[]): string[] {
  const seen = new Set<string>();
  const visit = (name: string, from: string) => {
    const dir = locate(name, from, root);
    if (dir === null || seen.has(dir)) return;
    seen.add(dir);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
      peerDependencies?: Record<string, string>;
    };
    for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies })) visit(dep, dir);
  };
  for (const name of names) visit(name, root);
  return [...seen];
}

/** Packs `dirs` into `destDir` (scripts not run); returns the tarball paths. */
export async function packInstalled(
  dirs: readonly string[],
  destDir: string,
  env: NodeJS.ProcessEnv,
): Promise<string[]> {
  await mkdir(destDir, { recursive: true });
  const { stdout } = await run('npm', ['pack', ...dirs, '--pack-destination', destDir, '--json', '--ignore-scripts'], {
    env,
    maxBuffer: 64 * 1024 * 1024,
  });
  return (JSON.parse(stdout) as Array<{ filename: string }>).map((i) => join(destDir, i.filename));
}
