/**
 * Conformance: the runtime's answers for the shared signed bundles (the same fixture set the
 * compiler's tests produce) equal test/conformance/runtime-decisions.json, and every bucketed answer
 * follows from first principles (bucket vs threshold, bucket vs experiment slots).
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { computeDecisions, DECISIONS_FILE, loadEngine } from './helpers/decisions.ts';
import type { Decision } from './helpers/decisions.ts';

const expected = JSON.parse(readFileSync(DECISIONS_FILE, 'utf8')) as {
  environments: Array<{ env: string; payloadSha256: string; decisions: Decision[] }>;
};

describe.each(expected.environments)('conformance decisions: $env', ({ env, payloadSha256, decisions }) => {
  it('the published bundle is the one the decisions were computed for', () => {
    // If this fails, the conformance bundle changed: regenerate the decisions (see the helper) and review the diff.
    expect(loadEngine(env).sha256).toBe(payloadSha256);
  });

  it('the runtime reproduces every expected decision', () => {
    expect(computeDecisions(env).decisions).toEqual(decisions);
  });

  it('bucketed answers follow from the payload tables', () => {
    const payload = loadEngine(env).engine.table()!.payload;
    let checked = 0;
    for (const d of decisions) {
      if (d.bucket === undefined) continue;
      if (d.call === 'isEnabled' || d.call === 'canary') {
        const flag = payload.flags[d.args[0] as string]!;
        const inside = !flag.killed && d.bucket < flag.thresholdPpm;
        expect(d.call === 'isEnabled' ? d.value : d.value === 'candidate').toBe(inside);
        checked++;
      } else if (d.call === 'assignExperiment') {
        const e = payload.experiments[d.args[0] as string]!;
        const v =
          e.status === 'running'
            ? e.variants.find((x) => x.slotStart <= d.bucket! && d.bucket! < x.enrolledEnd)
            : undefined;
        expect((d.value as { variant: string | null }).variant).toBe(v?.name ?? null);
        checked++;
      } else if (d.call === 'resolveModel') {
        const m = payload.models[d.args[0] as string]!;
        const flag = payload.flags[m.rollout!]!;
        const inside = !flag.killed && d.bucket < flag.thresholdPpm;
        expect(d.value).toBe(inside ? payload.modelRollouts[m.rollout!]!.to : m.snapshot);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(50);
  });
});
