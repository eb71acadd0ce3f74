/**
 * The tier rule (test/tiers.ts, docs/testing.md): checked on synthetic files, so a new test lands
 * where the rule says whatever its directory, and on this repository's own files.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { testFiles, testTiers, tierOf } from './tiers.ts';

const ROOT = join(import.meta.dirname, '..');
// The markers, spelled so that this file does not carry them itself (it is a unit test).
const NEEDS = ['await', "needs('postgres')"].join(' ');
const EXEC_PATH = ['process', 'execPath'].join('.');
const DATA_DIR = ['dataDir', ': dir'].join('');
const NPM_BIN = ["'node_modules'", `'${['', 'bin'].join('.')}'`, "'promptfoo'"].join(', ');

describe('test tiers', () => {
  const root = mkdtempSync(join(tmpdir(), 'sy-tiers-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const write = (path: string, text: string): void => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };

  it('decides a new file by what it does, not by a list', () => {
    write('test/helpers/capabilities.ts', `export const probe = () => spawn(${EXEC_PATH}, []);\n`);
    write('test/a/pure.test.ts', "import { it } from 'vitest';\nit('adds', () => {});\n");
    write('test/a/db.test.ts', `import { needs } from '../helpers/capabilities.ts';\nconst postgres = ${NEEDS};\n`);
    write('test/a/uses-fixture.test.ts', "import { PG_URL } from '../helpers/capabilities.ts';\n");
    write('test/a/cli-helper.ts', `export const run = () => spawn(${EXEC_PATH}, []);\n`);
    write('test/a/spawns.test.ts', "import { run } from './cli-helper.ts';\n");
    write('test/a/disk.test.ts', `await openStore({ backend: 'pglite', ${DATA_DIR} });\n`);
    write('test/a/git.test.ts', "await run('git', ['init']);\n");
    write('test/a/npm-bin.test.ts', `await run(join(root, ${NPM_BIN}), ['eval']);\n`);
    write('test/e2e/flow.test.ts', '\n');
    write('test/b/canary-e2e.test.ts', '\n');
    write('packages/x/test/y.e2e.test.ts', '\n');
    expect(testTiers(root)).toEqual({
      unit: ['test/a/git.test.ts', 'test/a/pure.test.ts', 'test/a/uses-fixture.test.ts'],
      system: ['test/a/db.test.ts', 'test/a/disk.test.ts', 'test/a/npm-bin.test.ts', 'test/a/spawns.test.ts'],
      e2e: ['packages/x/test/y.e2e.test.ts', 'test/b/canary-e2e.test.ts', 'test/e2e/flow.test.ts'],
    });
    expect(tierOf(root, 'test/a/spawns.test.ts').reason).toBe('starts a Node process (test/a/cli-helper.ts)');
  });

  it('puts every test file of this repository in exactly one tier', () => {
    const tiers = testTiers(ROOT);
    expect([...tiers.unit, ...tiers.system, ...tiers.e2e].sort()).toEqual(testFiles(ROOT));
    expect(tiers.e2e).toContain('test/e2e/guides.test.ts');
    expect(tiers.system).toEqual(
      expect.arrayContaining([
        'test/migrate/embeddings/crash-resume.test.ts',
        'packages/data/test/store/pglite-outage.test.ts',
        'packages/runtime/test/packaging.test.ts',
        'test/import/promptfoo-import.test.ts', // runs promptfoo, a Node program, from node_modules/.bin
      ]),
    );
    expect(tiers.unit).toContain('test/tiers.test.ts');
  });

  it('every test that talks to PostgreSQL declares it with needs(), so it skips or fails by the rule', () => {
    // (This file names the patterns, so it is the one file not checked.)
    const undeclared = testFiles(ROOT).filter((file) => {
      if (file === 'test/tiers.test.ts') return false;
      const source = readFileSync(join(ROOT, file), 'utf8');
      return (
        /\bPG_URL\b|backend: 'postgres'|postgresBackend\(/.test(source) &&
        !/\bawait needs\([^)]*'postgres'/.test(source)
      );
    });
    expect(undeclared).toEqual([]);
  });
});
