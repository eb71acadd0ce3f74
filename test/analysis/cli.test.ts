import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { main } from '../../src/cli/main.ts';
import { createRng } from '../../src/stats/index.ts';
import { openStore } from '@switchyard/data';
import type { SwitchyardEvent } from '@switchyard/data';
import { PG_URL, dropSchema, uniqueSchema } from '../../packages/data/test/store/fixtures.ts';
import { needs } from '../helpers/capabilities.ts';

const postgres = await needs('postgres');

const ROOT = join(import.meta.dirname, '..', '..');
const EXPERIMENT = 'summarization-v1-vs-v2';
const ROLLOUT = 'chat-gpt-4o-2024-08-06';

function run(argv: string[], env: NodeJS.ProcessEnv) {
  const out: string[] = [];
  const err: string[] = [];
  return main(argv, { stdout: (t) => out.push(t), stderr: (t) => err.push(t), cwd: ROOT, env }).then((code) => ({
    code,
    out: out.join('\n'),
    err: err.join('\n'),
  }));
}

describe.skipIf(postgres.skip)(postgres.title('switchyard analyze (demo project, PostgreSQL store)'), () => {
  const schema = uniqueSchema('cli');
  const env = { SWITCHYARD_DATABASE_URL: PG_URL, SWITCHYARD_STORE_SCHEMA: schema };
  afterAll(() => dropSchema(schema));

  it('loads evidence and prints decisions in every format', async () => {
    const store = await openStore({ backend: 'postgres', connectionString: PG_URL, schema });
    const rng = createRng(11);
    const events: SwitchyardEvent[] = [];
    const t0 = Date.UTC(2026, 2, 1);
    for (let u = 0; u < 4000; u++) {
      // a broken assignment: 45% control / 55% treatment although the weights are 50/50
      const variant = rng.next() < 0.45 ? 'control' : 'treatment';
      const base = {
        time: t0 + u * 1000,
        serial: 9,
        env: 'production',
        subject: 'experiment' as const,
        key: EXPERIMENT,
        variant,
        unitKey: `u${u}`,
      };
      events.push({ type: 'exposure', ...base });
      events.push({ type: 'metric', ...base, metric: 'agent_satisfaction', value: rng.normal(4, 1) });
      if (u % 10 === 0) {
        events.push({
          type: 'shadow',
          time: t0 + u * 1000,
          serial: 9,
          env: 'production',
          rollout: ROLLOUT,
          model: 'chat',
          primary: 'gpt-4o-2024-05-13',
          candidate: 'gpt-4o-2024-08-06',
          unitKey: `u${u}`,
          similarity: Math.min(0.99, 0.94 + rng.normal(0, 0.02)),
          primaryOutput: `p${u}`,
          candidateOutput: `c${u}`,
        });
      }
    }
    const sink = store.createSink();
    for (const e of events) sink.write(e);
    await sink.close();
    await store.close();

    const md = await run(['analyze', 'experiment', EXPERIMENT, '--format', 'markdown'], env);
    expect(md.code).toBe(0);
    expect(md.out).toContain(`### Experiment \`${EXPERIMENT}\`: **blocked: SRM**`);
    expect(md.out).toContain('```mermaid');

    const shadow = await run(['analyze', 'shadow', ROLLOUT, '--format', 'json', '--env', 'production'], env);
    expect(shadow.code).toBe(0);
    const s = JSON.parse(shadow.out);
    expect(s.scored).toBe(400);
    expect(s.readyToSwitch).toBe(true);
    expect(s.histogram.reduce((a: number, b: number) => a + b, 0)).toBe(400);

    const none = await run(['analyze', 'shadow', ROLLOUT, '--format', 'json', '--env', 'staging'], env);
    expect(JSON.parse(none.out).readyToSwitch).toBe(false);

    const text = await run(['analyze', 'experiment', EXPERIMENT], env);
    expect(text.out.split('\n')[0]).toBe(`experiment ${EXPERIMENT}: blocked: SRM`);
  });

  it('usage errors exit 2; an unknown id names the known ones', async () => {
    expect((await run(['analyze'], env)).code).toBe(2);
    expect((await run(['analyze', 'canary', 'x', '--format', 'yaml'], env)).code).toBe(2);
    expect((await run(['analyze', 'experiment', EXPERIMENT, '--since', 'yesterday-ish'], env)).code).toBe(2);
    const unknown = await run(['analyze', 'canary', 'chat-gpt-4o-2024-08-06'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain(
      "E_ANALYZE_UNKNOWN  no Canary 'chat-gpt-4o-2024-08-06'\n    hint: known: rag-hybrid-large",
    );
  });

  it('an unreachable store is a clear error with a stable code, not a crash', async () => {
    const r = await run(
      ['analyze', 'canary', 'rag-hybrid-large', '--database-url', 'postgres://postgres@127.0.0.1:1/test'],
      env,
    );
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/E_STORE_MIGRATE cannot prepare the postgres store/);
  });
});
