import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildTable, Engine } from '@switchyard/runtime/bundle';
import { compileBundle } from '../../../src/bundle/compile.ts';
import { loadProject } from '../../../src/config/index.ts';
import type { EmbeddingRoute } from '@switchyard/data';

export const MIGRATION = 'docs-embeddings-3-large';

/**
 * A minimal project (the demo's switchyard.yaml + one EmbeddingMigration plan) with small
 * dimensions, so tests run the real CLI on it quickly. The top-level phase is `dual-write`,
 * staging's override is `staging` (default `backfill`).
 */
export function writeProject(
  options: { staging?: string; phase?: string; batchSize?: number; concurrency?: number; extra?: string } = {},
): string {
  const root = mkdtempSync(join(tmpdir(), 'sy-emb-'));
  copyFileSync(new URL('../../config/corpus/_base/switchyard.yaml', import.meta.url), join(root, 'switchyard.yaml'));
  mkdirSync(join(root, 'rollouts'));
  writeFileSync(
    join(root, 'rollouts', `${MIGRATION}.yaml`),
    `# yaml-language-server: $schema=../schemas/embedding-migration.schema.json
# Re-embedding the help-centre corpus (test plan: small dimensions).
kind: EmbeddingMigration
migration: ${MIGRATION}
from:
  model: text-embedding-3-small
  dimension: 64
  index: docs-small
to:
  model: text-embedding-3-large
  dimension: 96
  index: docs-large
phase: ${options.phase ?? 'dual-write'} # the default environment
backfill:
  batchSize: ${options.batchSize ?? 50}
  concurrency: ${options.concurrency ?? 2}
  maxRetries: 2
verify:
  sampleQueries: 20
  topK: 5
  minOverlap: 0.3
${options.extra ?? ''}environments:
  staging:
    phase: ${options.staging ?? 'backfill'} # staging runs ahead
`,
  );
  return root;
}

/** The route the real runtime engine serves for the plan in `env`, compiled from the project's YAML. */
export async function runtimeRoute(root: string, env: string): Promise<EmbeddingRoute> {
  const loaded = await loadProject(root);
  if (loaded.errors.length > 0) throw new Error(loaded.errors.map((e) => e.message).join('; '));
  const compiled = compileBundle(loaded.value!, { env, commit: 'c'.repeat(40) });
  if (!compiled.value) throw new Error(compiled.errors.map((e) => e.message).join('; '));
  const built = buildTable(compiled.value.payload, {
    serial: 1,
    env,
    commit: 'c'.repeat(40),
    createdAt: Date.now(),
    expiresAt: Date.now() + 3_600_000,
    payloadSha256: compiled.value.sha256,
  });
  if (!built.ok) throw new Error(built.message);
  const engine = new Engine();
  engine.swap(built.table);
  const route = engine.embeddingRoute(MIGRATION).value;
  if (!route) throw new Error('no route');
  return route;
}
