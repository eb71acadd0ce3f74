import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { openStore, type SwitchyardEvent } from '@switchyard/data';
import { planExperiment, sequentialPowerAt } from '../../src/analysis/index.ts';
import { main } from '../../src/cli/main.ts';
import { createRng, samplesPerArm } from '../../src/stats/index.ts';
import { PG_URL, dropSchema, uniqueSchema } from '../../packages/data/test/store/fixtures.ts';
import { needs } from '../helpers/capabilities.ts';

const postgres = await needs('postgres');

describe('planning', () => {
  it('the sequential plan is the smallest n where the always-valid test reaches the target power', () => {
    const p = planExperiment({ baselineMean: 4, sd: 1, mde: 0.02 });
    expect(p.effect).toBeCloseTo(0.08, 12);
    expect(p.fixedHorizonPerArm).toBe(samplesPerArm(0.08, 1));
    expect(p.sequentialPerArm).toBeGreaterThan(p.fixedHorizonPerArm);
    expect(sequentialPowerAt(p.sequentialPerArm, p.effect, 1, p.tau, 0.05)).toBeGreaterThanOrEqual(0.8);
    expect(sequentialPowerAt(p.sequentialPerArm - 1, p.effect, 1, p.tau, 0.05)).toBeLessThan(0.8);
    // binary: the sd follows from the rates of both arms (0.10 and 0.11)
    expect(planExperiment({ baselineMean: 0.1, mde: 0.1, binary: true }).sd).toBeCloseTo(
      Math.sqrt((0.09 + 0.11 * 0.89) / 2),
      12,
    );
    expect(() => planExperiment({ baselineMean: 0, sd: 1, mde: 0.02 })).toThrow(RangeError);
  });
});

describe.skipIf(postgres.skip)(postgres.title('switchyard plan experiment (demo project, PostgreSQL store)'), () => {
  const schema = uniqueSchema('plan');
  const env = { SWITCHYARD_DATABASE_URL: PG_URL, SWITCHYARD_STORE_SCHEMA: schema };
  afterAll(() => dropSchema(schema));
  const run = async (argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(argv, {
      stdout: (t) => out.push(t),
      stderr: (t) => err.push(t),
      cwd: join(import.meta.dirname, '..', '..'),
      env,
    });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  it('prints units per arm and the expected duration from recorded traffic', async () => {
    const store = await openStore({ backend: 'postgres', connectionString: PG_URL, schema });
    const rng = createRng(3);
    const events: SwitchyardEvent[] = [];
    const t0 = Date.UTC(2026, 2, 1);
    // 2,000 units enrolled over 2 days (1,000/day), satisfaction ~ N(4, 1)
    for (let u = 0; u < 2000; u++) {
      const variant = u % 2 === 0 ? 'control' : 'treatment';
      const base = {
        time: t0 + Math.round((u * 2 * 86_400_000) / 1999),
        serial: 1,
        env: 'production',
        subject: 'experiment' as const,
        key: 'summarization-v1-vs-v2',
        variant,
        unitKey: `u${u}`,
      };
      events.push(
        { type: 'exposure', ...base },
        { type: 'metric', ...base, metric: 'agent_satisfaction', value: rng.normal(4, 1) },
      );
    }
    await store.writeBatch(events.map((event, i) => ({ source: 'plan', seq: i + 1, event })));
    await store.close();
    const r = await run(['plan', 'experiment', 'summarization-v1-vs-v2', '--mde', '2%', '--format', 'json']);
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.out);
    expect(plan.unitsPerDay).toBeCloseTo(1000, 0);
    expect(plan.smallestArmShare).toBe(0.5);
    expect(plan.baselineMean).toBeCloseTo(4, 1);
    expect(plan.sequentialPerArm).toBeGreaterThan(plan.fixedHorizonPerArm);
    expect(plan.sequentialDays).toBeCloseTo(plan.sequentialPerArm / 500, 6);
    const text = await run(['plan', 'experiment', 'summarization-v1-vs-v2', '--mde', '2%']);
    expect(text.out).toMatch(/units per arm, always-valid decision rule \(what switchyard uses\): \d+/);
    expect(text.out).toMatch(/expected duration: \d+\.\d days/);
  });

  it('usage errors exit 2', async () => {
    expect((await run(['plan', 'canary', 'x'])).code).toBe(2);
    expect((await run(['plan', 'experiment', 'summarization-v1-vs-v2', '--mde', 'lots'])).code).toBe(2);
    expect((await run(['plan', 'experiment', 'nope'])).code).toBe(2);
  });
});
