/** Reads the sources the catalogue is generated from: src/, and src/ of every package and example. */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { SourceText } from './scan-codes.ts';

/** Tests, benches and scripts mention codes but do not raise them, so they are not read. */
export async function readSources(root: string): Promise<SourceText[]> {
  const dirs: string[] = [join(root, 'src')];
  for (const parent of ['packages', 'examples']) {
    const entries = await readdir(join(root, parent), { withFileTypes: true }).catch(() => []);
    for (const e of entries) if (e.isDirectory()) dirs.push(join(root, parent, e.name, 'src'));
  }
  const files: string[] = [];
  for (const dir of dirs) await walk(dir, files);
  files.sort();
  return Promise.all(
    files.map(async (f) => ({ path: relative(root, f).split(sep).join('/'), text: await readFile(f, 'utf8') })),
  );
}

async function walk(dir: string, out: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory() && e.name !== 'node_modules') await walk(path, out);
    else if (e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(path);
  }
}
