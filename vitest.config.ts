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
    projects: [
      { extends: true, test: { name: 'unit', include: tiers.unit } },
      { extends: true, test: { name: 'system', include: tiers.system } },
      { extends: true, test: { name: 'e2e', include: tiers.e2e } },
    ],
  },
});
