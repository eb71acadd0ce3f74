/**
 * Which tier a test file belongs to — unit, system or e2e — decided by a rule, not a list, so a new
 * test file lands in the right tier without anyone registering it (docs/testing.md):
 *
 * - **e2e**: under a `test/e2e/` directory, or named `*-e2e.test.ts` / `*.e2e.test.ts` (whole
 *   workflows: the guides, GitOps, the chat service, the scripts the workflows call);
 * - **system**: the file asks for a machine capability (`await needs(…)` from
 *   test/helpers/capabilities.ts: PostgreSQL, root, `unshare`), or it or a test helper it imports
 *   starts a Node process (the CLI, npm, tsx, or a package's command from `node_modules/.bin`, which
 *   npm installs as Node programs: promptfoo) or opens PGlite on disk (a `dataDir` option);
 * - **unit**: everything else — pure code and in-process components (in-memory PGlite, servers on
 *   127.0.0.1, git in a temp directory).
 *
 * vitest.config.ts turns the three lists into projects (`vitest run --project unit`).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

export type Tier = 'unit' | 'system' | 'e2e';

/** Why a file is in the system tier: the first marker found, with the file it was found in. */
export interface TierDecision {
  file: string;
  tier: Tier;
  reason: string;
}

const E2E_PATH = /(^|\/)e2e\/|[.-]e2e\.test\.ts$/;

/** Markers looked for in the test file itself only: a capability is declared where it is needed. */
const OWN_MARKERS: Array<[string, RegExp]> = [['needs a machine capability (needs())', /\bawait needs\(/]];

/** Markers looked for in the test file and every test helper it imports (transitively). */
const SHARED_MARKERS: Array<[string, RegExp]> = [
  [
    'starts a Node process',
    /process\.execPath|bin['"/,\s]+switchyard\.mjs|\b(?:spawn|spawnSync|execFile|execFileSync)\(\s*['"](?:npm|node|tsx)['"]|['"/]\.bin['"/]/,
  ],
  ['opens PGlite on disk', /\bdataDir\s*:/],
];

/** Test files of the repository (relative, `/`-separated): `test/**` and `packages/*\/test/**`. */
export function testFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.test.ts')) out.push(relative(root, path).split(sep).join('/'));
    }
  };
  if (existsSync(join(root, 'test'))) walk(join(root, 'test'));
  const packages = join(root, 'packages');
  if (existsSync(packages))
    for (const p of readdirSync(packages)) if (existsSync(join(packages, p, 'test'))) walk(join(packages, p, 'test'));
  return out.sort();
}

/** The tier of one test file (`file` relative to `root`), with the reason. */
export function tierOf(root: string, file: string): TierDecision {
  if (E2E_PATH.test(file)) return { file, tier: 'e2e', reason: 'e2e path or name' };
  const own = readFileSync(join(root, file), 'utf8');
  for (const [reason, re] of OWN_MARKERS) if (re.test(own)) return { file, tier: 'system', reason };
  const CAPABILITIES = join(root, 'test', 'helpers', 'capabilities.ts');
  const seen = new Set<string>();
  const visit = (path: string): string | undefined => {
    // The capability helper only probes (it may start processes to do so); needing a capability
    // is declared by calling needs() in the test file.
    if (seen.has(path) || path === CAPABILITIES) return undefined;
    seen.add(path);
    const source = readFileSync(path, 'utf8');
    for (const [reason, re] of SHARED_MARKERS)
      if (re.test(source)) return `${reason} (${relative(root, path).split(sep).join('/')})`;
    for (const dep of testHelperImports(root, path, source)) {
      const found = visit(dep);
      if (found) return found;
    }
    return undefined;
  };
  const reason = visit(join(root, file));
  return reason ? { file, tier: 'system', reason } : { file, tier: 'unit', reason: 'pure or in-process' };
}

/** Every test file by tier. */
export function testTiers(root: string): Record<Tier, string[]> {
  const tiers: Record<Tier, string[]> = { unit: [], system: [], e2e: [] };
  for (const file of testFiles(root)) tiers[tierOf(root, file).tier].push(file);
  return tiers;
}

/** Relative imports of `path` that are test code (under a test/ directory or bench/), not product code. */
function testHelperImports(root: string, path: string, source: string): string[] {
  const out: string[] = [];
  for (const m of source.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
    const target = resolve(dirname(path), m[1]!);
    const rel = relative(root, target).split(sep).join('/');
    if ((/^test\//.test(rel) || /^packages\/[^/]+\/test\//.test(rel) || /^bench\//.test(rel)) && existsSync(target))
      out.push(target);
  }
  return out;
}
