import { cpSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { CONFIG_ROOTS } from '../../src/config/index.ts';

const REPO = join(import.meta.dirname, '..', '..');

/** A copy of the demo organisation in a temporary directory (so tests can write its store and files). */
export function copyDemoProject(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sy-propose-'));
  for (const root of CONFIG_ROOTS) cpSync(join(REPO, root), join(dir, root), { recursive: true });
  return dir;
}

/** Every config file of a project as path → text (to seed the GitHub test server's repository). */
export function projectFiles(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (path: string) => {
    if (statSync(path).isDirectory()) for (const name of readdirSync(path)) walk(join(path, name));
    else out[relative(dir, path).split('\\').join('/')] = readFileSync(path, 'utf8');
  };
  for (const root of CONFIG_ROOTS) walk(join(dir, root));
  return out;
}
