import { describe, expect, it } from 'vitest';
import { compileBundle } from '../../src/bundle/compile.ts';
import { embeddingRoutes, experimentSlots, PPM, thresholdPpm } from '../../src/bundle/tables.ts';
import { percentToPpm, PPM as RUNTIME_PPM } from '@switchyard/runtime/bundle';
import { sha256Hex, verifyPayload } from '../../src/bundle/runtime-format.ts';
import type { EmbeddingMigrationResource, FlagResource, ModelRolloutResource } from '../../src/config/types.ts';
import { demoProject } from './project-fixture.ts';

const COMMIT = '0123456789abcdef0123456789abcdef01234567';

function compile(env = 'staging', project = demoProject()) {
  const result = compileBundle(project, { env, commit: COMMIT });
  expect(result.errors).toEqual([]);
  return result.value!;
}

describe('compileBundle', () => {
  it('produces canonical, content-addressed, self-verifying bytes without machine details', () => {
    const { payload, bytes, sha256 } = compile();
    expect(sha256).toBe(sha256Hex(bytes));
    const text = new TextDecoder().decode(bytes);
    expect(text).not.toContain('/somewhere');
    expect(text).not.toMatch(/\s"|\n/);
    expect(payload.commit).toBe(COMMIT);
    const verified = verifyPayload(bytes, { sha256, length: bytes.byteLength, env: 'staging', commit: COMMIT });
    expect(verified.ok).toBe(true);
  });

  it('is byte-identical whatever the insertion order of the loaded maps', () => {
    const a = demoProject();
    const b = demoProject();
    b.rollouts = new Map([...b.rollouts].reverse());
    b.prompts = new Map([...b.prompts].reverse().map(([k, v]) => [k, new Map([...v].reverse())]));
    expect(Buffer.from(compile('production', a).bytes).equals(Buffer.from(compile('production', b).bytes))).toBe(true);
  });

  it('carries where each model is served, defaults filled in and no key or header variable', () => {
    const project = demoProject();
    const chat = project.models.get('chat')!;
    const cases = [
      [
        { type: 'anthropic', apiKeyEnv: 'CLAUDE_KEY' },
        { type: 'anthropic', baseUrl: 'https://api.anthropic.com' },
      ],
      [
        { type: 'anthropic', baseUrl: 'http://proxy:8080' },
        { type: 'anthropic', baseUrl: 'http://proxy:8080' },
      ],
      [{ type: 'ollama' }, { type: 'ollama', baseUrl: 'http://127.0.0.1:11434' }],
      [
        {
          type: 'http',
          url: 'https://models.example.com/chat',
          headersFromEnv: { Authorization: 'MODELS_AUTH' },
          transformResponse: 'json.answer',
        },
        { type: 'http', url: 'https://models.example.com/chat', method: 'POST' },
      ],
    ] as const;
    for (const [provider, expected] of cases) {
      chat.provider = provider as never;
      const { payload, bytes } = compile('staging', project);
      expect(payload.models.chat?.provider).toEqual(expected);
      const text = new TextDecoder().decode(bytes);
      expect(text).not.toContain('CLAUDE_KEY');
      expect(text).not.toContain('MODELS_AUTH');
    }
  });

  it('applies per-environment overrides', () => {
    const staging = compile('staging').payload;
    const production = compile('production').payload;
    expect(staging.flags['chat-gpt-4o-2024-08-06']?.percent).toBe(25);
    expect(staging.flags['chat-gpt-4o-2024-08-06']?.thresholdPpm).toBe(250_000);
    expect(production.flags['chat-gpt-4o-2024-08-06']?.thresholdPpm).toBe(50_000);
    expect(staging.embeddingMigrations['docs-embeddings-3-large']?.phase).toBe('backfill');
    expect(staging.embeddingMigrations['docs-embeddings-3-large']?.backfill.active).toBe(true);
    expect(production.embeddingMigrations['docs-embeddings-3-large']?.backfill.active).toBe(false);
    expect(staging.env).toBe('staging');
  });

  it('treats the kill switch as global: an environment override may kill one environment but never revive', () => {
    const project = demoProject();
    const rollout = project.rollouts.get('chat-gpt-4o-2024-08-06') as ModelRolloutResource;
    // Globally killed; production tries to revive it (what a stale or hand-written override says).
    rollout.killed = true;
    rollout.environments = { production: { percent: 5, killed: false } };
    for (const env of ['staging', 'production']) {
      const payload = compile(env, project).payload;
      expect(payload.flags['chat-gpt-4o-2024-08-06']).toMatchObject({ killed: true, thresholdPpm: 0 });
    }
    // Not killed globally; one environment kills it, the other keeps serving.
    rollout.killed = false;
    rollout.environments = { production: { killed: true } };
    expect(compile('production', project).payload.flags['chat-gpt-4o-2024-08-06']).toMatchObject({
      killed: true,
      thresholdPpm: 0,
    });
    expect(compile('staging', project).payload.flags['chat-gpt-4o-2024-08-06']).toMatchObject({ killed: false });
    expect(compile('staging', project).payload.flags['chat-gpt-4o-2024-08-06']!.thresholdPpm).toBeGreaterThan(0);
  });

  it('compiles killed flags to threshold 0 and keeps a killed model rollout on its model (the runtime answers `killed`)', () => {
    const project = demoProject();
    const rollout = project.rollouts.get('chat-gpt-4o-2024-08-06') as ModelRolloutResource;
    rollout.environments = { production: { killed: true } };
    expect(compile('staging', project).payload.models.chat?.rollout).toBe('chat-gpt-4o-2024-08-06');
    const production = compile('production', project).payload;
    expect(production.flags['chat-gpt-4o-2024-08-06']).toMatchObject({ killed: true, thresholdPpm: 0, percent: 5 });
    expect(production.models.chat?.rollout).toBe('chat-gpt-4o-2024-08-06');
    // At 0% the rollout stays attached (threshold 0: nobody is served the candidate) so the runtime can shadow it.
    rollout.environments = { production: { percent: 0 } };
    const atZero = compile('production', project).payload;
    expect(atZero.models.chat?.rollout).toBe('chat-gpt-4o-2024-08-06');
    expect(atZero.flags['chat-gpt-4o-2024-08-06']).toMatchObject({ killed: false, thresholdPpm: 0, percent: 0 });
    expect(production.modelRollouts['chat-gpt-4o-2024-08-06']).toMatchObject({
      from: 'gpt-4o-2024-05-13',
      to: 'gpt-4o-2024-08-06',
    });
    expect(production.modelRollouts['chat-gpt-4o-2024-08-06']?.shadow.sampleRatePpm).toBe(50_000);
  });

  it('precompiles experiment slots (control first) and names the running experiment on its prompt', () => {
    const { payload } = compile();
    const exp = payload.experiments['summarization-v1-vs-v2']!;
    expect(exp.variants).toEqual([
      { name: 'control', version: 1, weight: 50, slotStart: 0, slotEnd: 500_000, enrolledEnd: 100_000 },
      { name: 'treatment', version: 2, weight: 50, slotStart: 500_000, slotEnd: 1_000_000, enrolledEnd: 600_000 },
    ]);
    expect(payload.prompts.summarization?.experiment).toBe('summarization-v1-vs-v2');
    expect(payload.prompts.summarization?.active).toBe(1);
    expect(payload.prompts.summarization?.versions['2']?.params).toEqual({ temperature: 0.1, max_tokens: 512 });
    expect(payload.prompts['support-answer']?.experiment).toBeNull();
    expect(payload.canaries['rag-hybrid-large']?.analysis.next).toBe(25);
  });

  it('raising experiment traffic never moves an enrolled unit', () => {
    const variants = {
      control: { version: 1, weight: 34 },
      b: { version: 2, weight: 33 },
      a: { version: 3, weight: 33 },
    };
    let previous = experimentSlots(variants, 0);
    expect(previous.map((v) => v.name)).toEqual(['control', 'a', 'b']);
    expect(previous.at(-1)?.slotEnd).toBe(1_000_000);
    for (const traffic of [1, 5, 20, 33.3, 50, 100]) {
      const next = experimentSlots(variants, traffic);
      next.forEach((v, i) => {
        expect(v.slotStart).toBe(previous[i]!.slotStart);
        expect(v.enrolledEnd).toBeGreaterThanOrEqual(previous[i]!.enrolledEnd);
        expect(v.enrolledEnd).toBeLessThanOrEqual(v.slotEnd);
      });
      previous = next;
    }
    expect(previous.every((v) => v.enrolledEnd === v.slotEnd)).toBe(true);
  });

  it.each([
    ['dual-write', ['small', 'large'], ['small'], false],
    ['backfill', ['small', 'large'], ['small'], true],
    ['dual-read', ['small', 'large'], ['large', 'small'], false],
    ['cutover', ['large', 'small'], ['large'], false],
    ['complete', ['large'], ['large'], false],
  ] as const)('routes embeddings in phase %s', (phase, write, read, active) => {
    const from = { model: 'm-small', dimension: 2, index: 'small' };
    const to = { model: 'm-large', dimension: 3, index: 'large' };
    const routes = embeddingRoutes(phase, from, to);
    expect(routes.write.map((t) => t.index)).toEqual(write);
    expect(routes.read.map((t) => t.index)).toEqual(read);
    expect(routes.backfillActive).toBe(active);
  });

  it('converts percent to ppm exactly', () => {
    expect([0, 0.5, 1, 5, 25, 33.3333, 100].map((p) => thresholdPpm(p, false))).toEqual([
      0, 5000, 10_000, 50_000, 250_000, 333_333, 1_000_000,
    ]);
    expect(thresholdPpm(100, true)).toBe(0);
  });

  it("uses the runtime's bucket constants and threshold arithmetic, with no clamping of its own", () => {
    expect(PPM).toBe(RUNTIME_PPM);
    // Identical for every input, in range or not: the compiler rejects out-of-range values instead.
    for (const p of [-1, 0, 0.00004, 0.00005, 12.34565, 99.99995, 100, 100.5, 150])
      expect(thresholdPpm(p, false)).toBe(percentToPpm(p));
    const project = demoProject();
    const flag = project.rollouts.get('new-onboarding-tips') as FlagResource;
    flag.percent = 100.5;
    const result = compileBundle(project, { env: 'production', commit: COMMIT });
    expect(result.value).toBeUndefined();
    expect(result.errors.map((e) => e.code)).toEqual(['E_BUNDLE_RANGE']);
  });

  describe('errors, never throws', () => {
    it('unknown environment and bad commit', () => {
      expect(compileBundle(demoProject(), { env: 'qa', commit: COMMIT }).errors.map((e) => e.code)).toEqual([
        'E_BUNDLE_UNKNOWN_ENV',
      ]);
      expect(compileBundle(demoProject(), { env: 'staging', commit: 'HEAD' }).errors.map((e) => e.code)).toEqual([
        'E_BUNDLE_BAD_COMMIT',
      ]);
    });

    it('dangling references, bad weights, conflicts and non-JSON values', () => {
      const project = demoProject();
      const exp = project.experiments.get('summarization-v1-vs-v2')!;
      exp.variants.treatment = { version: 9, weight: 60 };
      project.experiments.set('second', {
        ...exp,
        experiment: 'second',
        variants: { control: { version: 1, weight: 100 } },
      });
      const second = {
        ...(project.rollouts.get('chat-gpt-4o-2024-08-06') as ModelRolloutResource),
        flag: 'second-rollout',
      };
      project.rollouts.set('second-rollout', second);
      const result = compileBundle(project, { env: 'staging', commit: COMMIT });
      expect(result.value).toBeUndefined();
      expect(result.errors.map((e) => e.code).sort()).toEqual([
        'E_BUNDLE_DANGLING_REF',
        'E_BUNDLE_EXPERIMENT_CONFLICT',
        'E_BUNDLE_ROLLOUT_CONFLICT',
        'E_BUNDLE_WEIGHTS',
      ]);
      expect(result.errors.find((e) => e.code === 'E_BUNDLE_DANGLING_REF')?.file).toBe(
        'experiments/summarization-v1-vs-v2.yaml',
      );

      const nonJson = demoProject();
      (nonJson.rollouts.get('new-onboarding-tips') as FlagResource).percent = Number.NaN;
      expect(compileBundle(nonJson, { env: 'staging', commit: COMMIT }).errors.map((e) => e.code)).toEqual([
        'E_BUNDLE_RANGE',
      ]);
      const infinite = demoProject();
      const migration = infinite.rollouts.get('docs-embeddings-3-large') as EmbeddingMigrationResource;
      migration.from.dimension = Number.POSITIVE_INFINITY;
      expect(compileBundle(infinite, { env: 'staging', commit: COMMIT }).errors.map((e) => e.code)).toEqual([
        'E_BUNDLE_NOT_JSON',
      ]);
    });

    it('warns about overrides for undeclared environments', () => {
      const project = demoProject();
      (project.rollouts.get('new-onboarding-tips') as FlagResource).environments = { prod: { percent: 5 } };
      const result = compileBundle(project, { env: 'staging', commit: COMMIT });
      expect(result.warnings.map((w) => w.code)).toEqual(['W_BUNDLE_OVERRIDE_UNKNOWN_ENV']);
      expect(result.value).toBeDefined();
    });
  });
});
