import { defineConfig } from 'vitest/config';
import { testTiers } from './test/tiers.ts';

// Three tiers, decided per file by the rule in test/tiers.ts (docs/testing.md): `vitest run` runs
// them all, `vitest run --project unit|system|e2e` one of them.
const tiers = testTiers(import.meta.dirname);

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // @actions/workflow-parser imports JSON without an import attribute; let vite transform it.
    server: { deps: { inline: ['@actions/workflow-parser'] } },
    pool: 'forks',
    // vitest's default on this 2-core machine is one worker (cores - 1): files ran one at a time,
    // while most of them wait on child processes, servers and databases rather than compute. Two,
    // one per core: three starved CPU-heavy files into their 60 s timeouts when the machine was
    // loaded by other work. `--maxWorkers=N` overrides.
    maxWorkers: 2,
    // `npm run coverage:runtime`: the runtime package's own tests, measured on its sources, with a
    // floor (the package applications install; docs/testing.md).
    coverage: {
      provider: 'v8',
      include: ['packages/runtime/src/**'],
      reporter: ['text-summary', 'text'],
      reportsDirectory: '.switchyard/coverage/runtime',
      // Measured 2026-12-04: statements 86.9 %, branches 79.7 %, functions 86.4 %, lines 91.7 %.
      thresholds: { statements: 85, branches: 78, functions: 84, lines: 90 },
    },
    projects: [
      { extends: true, test: { name: 'unit', include: tiers.unit } },
      // Child processes and databases on a shared 2-core machine can be several times slower than
      // alone: the deadline only catches a hang, so it is generous (a test's own figures go to bench/).
      { extends: true, test: { name: 'system', include: tiers.system, testTimeout: 180_000, hookTimeout: 180_000 } },
      { extends: true, test: { name: 'e2e', include: tiers.e2e, testTimeout: 180_000, hookTimeout: 180_000 } },
    ],
  },
});
