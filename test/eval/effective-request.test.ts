/**
 * The request eval and shadow send is the runtime's answer: for every active prompt version of the
 * demo organisation, `effectiveRequest` gives the same rendered messages, parameters and missing
 * variables as the real engine's `getPrompt` over the compiled bundle.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildTable, Engine } from '@switchyard/runtime/bundle';
import { compileBundle } from '../../src/bundle/compile.ts';
import { loadProject } from '../../src/config/index.ts';
import type { JsonValue } from '../../src/config/types.ts';
import { effectiveRequest } from '../../src/eval/effective-request.ts';

const REPO = join(import.meta.dirname, '..', '..');

describe('effectiveRequest is what the runtime serves', () => {
  it('matches getPrompt (messages, params, missing) for every active version', async () => {
    const loaded = await loadProject(REPO);
    const project = loaded.value!;
    const compiled = compileBundle(project, { env: 'production', commit: 'c'.repeat(40) });
    const built = buildTable(compiled.value!.payload, {
      serial: 1,
      env: 'production',
      commit: 'c'.repeat(40),
      createdAt: Date.now(),
      expiresAt: Date.now() + 3_600_000,
      payloadSha256: compiled.value!.sha256,
    });
    if (!built.ok) throw new Error(built.message);
    const engine = new Engine();
    engine.swap(built.table);
    let checked = 0;
    for (const [name, versions] of project.prompts) {
      for (const version of versions.values()) {
        if (version.status !== 'active') continue;
        const first = version.tests.cases[0]?.vars ?? {};
        // One variable set to null: the runtime counts it missing, and so must the evaluator.
        const [dropped] = version.variables;
        const varSets: Record<string, JsonValue | null>[] = [
          first,
          { ...first, ...(dropped ? { [dropped]: null } : {}) },
        ];
        for (const vars of varSets) {
          const served = engine.getPrompt(name, { vars }).value!;
          const ours = effectiveRequest(project.models.get(version.model), version, vars as Record<string, JsonValue>);
          expect(ours.messages).toEqual(served.messages);
          expect(ours.params).toEqual(served.params);
          expect(ours.missing).toEqual([...served.missingVars].sort());
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(4);
  });
});
