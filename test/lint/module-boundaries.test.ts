/**
 * The module-boundaries lint rule, run through ESLint with the repository's own config (so the
 * wiring is tested too) on virtual files placed where the rule must act.
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { readModuleGraph } from '../../eslint/module-boundaries.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const eslint = new ESLint({ cwd: ROOT });

/** The rule's messages for `code` as if it were the file at `path` (repository-relative). */
async function problems(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(ROOT, path) });
  return result!.messages.filter((m) => m.ruleId === 'switchyard/module-boundaries').map((m) => m.message);
}

describe('module boundaries', () => {
  it('reads the graph from docs/ARCHITECTURE.md', async () => {
    const graph = readModuleGraph(await readFile(join(ROOT, 'docs', 'ARCHITECTURE.md'), 'utf8'));
    expect(graph.get('errors')).toEqual(new Set());
    expect(graph.get('git')).toEqual(new Set(['errors']));
    expect(graph.get('config')).toEqual(new Set(['errors', 'git']));
    expect([...graph.keys()].sort()).toEqual([
      'analysis',
      'bundle',
      'cli',
      'config',
      'errors',
      'eval',
      'explain',
      'gate',
      'git',
      'github',
      'import',
      'migrate',
      'propose',
      'stats',
    ]);
    // Every src/ module is in the table (a new module must be placed in the graph).
    const { readdir } = await import('node:fs/promises');
    const modules = (await readdir(join(ROOT, 'src'), { withFileTypes: true }))
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
    expect(modules.sort()).toEqual([...graph.keys()].sort());
    expect(() => readModuleGraph('# no table')).toThrow(/module-graph/);
  });

  it('refuses backwards imports between src/ modules, in every import form', async () => {
    const file = 'src/config/edit/example.ts';
    expect(
      await problems(
        file,
        "import { setKilled } from './set-killed.ts';\nimport type { Checked } from '../diagnostics.ts';\nimport { resolveRef } from '../../git/refs.ts';",
      ),
    ).toEqual([]);
    for (const code of [
      "import { compileBundle } from '../../bundle/compile.ts';",
      "import type { Project } from '../../propose/types.ts';",
      "export { planProposals } from '../../propose/plan.ts';",
      "export * from '../../eval/index.ts';",
      "const m = await import('../../eval/endpoint.ts');",
    ]) {
      expect(await problems(file, code), code).toEqual([
        expect.stringMatching(/src\/config\/ may not import src\/(bundle|propose|eval)\//),
      ]);
    }
    // The fixed backwards import stays fixed.
    expect(
      await problems('src/migrate/embeddings/advance.ts', "import { setScalar } from '../../propose/yaml-edit.ts';"),
    ).toEqual([expect.stringMatching(/src\/migrate\/ may not import src\/propose\//)]);
    expect(await problems('src/git/refs.ts', "import { x } from '../stats/index.ts';")).toEqual([
      expect.stringMatching(/allowed: errors;/),
    ]);
    expect(await problems('src/errors/index.ts', "import { x } from '../git/index.ts';")).toEqual([
      expect.stringMatching(/allowed: none/),
    ]);
  });

  it('makes everything outside a package import it by name', async () => {
    for (const [path, spec] of [
      ['src/cli/main.ts', '../../packages/runtime/src/index.ts'],
      ['test/store/x.test.ts', '../../packages/data/src/store/store.ts'],
      ['bench/runtime/resolve.ts', '../../packages/runtime/src/engine/engine.ts'],
      ['examples/chat-service/demo/kit.ts', '../../../packages/data/src/index.ts'],
      ['packages/openfeature/src/provider.ts', '../../runtime/src/index.ts'],
    ] as const) {
      expect(await problems(path, `import { x } from '${spec}';`), path).toEqual([expect.stringMatching(/by path/)]);
    }
    expect(
      await problems(
        'src/cli/main.ts',
        "import { createClient } from '@switchyard/runtime';\nimport { openStore } from '@switchyard/data';",
      ),
    ).toEqual([]);
    // A package's own tests use its sources by path.
    expect(
      await problems('packages/data/test/store/x.test.ts', "import { openStore } from '../../src/index.ts';"),
    ).toEqual([]);
  });

  it('keeps a package to its own files and declared dependencies', async () => {
    expect(
      await problems('packages/data/src/store/x.ts', "import { loadProject } from '../../../../src/config/index.ts';"),
    ).toEqual([expect.stringMatching(/stay inside the package/)]);
    expect(await problems('packages/data/src/store/x.ts', "import OpenAI from 'openai';")).toEqual([
      expect.stringMatching(/does not declare openai/),
    ]);
    expect(await problems('packages/runtime/src/client/x.ts', "import pg from 'pg';")).toEqual([
      expect.stringMatching(/does not declare pg/),
    ]);
    expect(
      await problems(
        'packages/data/src/store/x.ts',
        "import pg from 'pg';\nimport { PGlite } from '@electric-sql/pglite';\nimport { createClient } from '@switchyard/runtime';\nimport { join } from 'node:path';",
      ),
    ).toEqual([]);
  });

  it('keeps the example service and src/ to their own trees', async () => {
    expect(
      await problems('examples/chat-service/src/app.ts', "import { x } from '../../../src/eval/endpoint.ts';"),
    ).toEqual([expect.stringMatching(/example service/)]);
    expect(await problems('examples/chat-service/src/app.ts', "import { x } from '../demo/kit.ts';")).toEqual([
      expect.stringMatching(/example service/),
    ]);
    expect(await problems('src/cli/main.ts', "import { x } from '../../test/helpers/github-api-server.ts';")).toEqual([
      expect.stringMatching(/src\/ imports test/),
    ]);
  });
});
