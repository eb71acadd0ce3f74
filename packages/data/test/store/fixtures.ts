import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { SwitchyardEvent } from '../../src/store/events.ts';
import { createRng } from '../../../../src/stats/index.ts';
import { PG_URL } from '../../../../test/helpers/capabilities.ts';

export { PG_URL };

/** A schema name unique to this test run, so parallel runs on the shared server never meet. */
export function uniqueSchema(label: string): string {
  return `sy_${label}_${randomBytes(5).toString('hex')}`;
}

export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

/** A deterministic mix of every event type: an experiment, a canary, shadow pairs, migrations. */
export function sampleEvents(seed = 1, units = 3000): SwitchyardEvent[] {
  const rng = createRng(seed);
  const events: SwitchyardEvent[] = [];
  const t0 = Date.UTC(2026, 0, 1);
  for (let u = 0; u < units; u++) {
    const unitKey = `user-${u}`;
    const time = t0 + u * 60_000;
    const variant = rng.next() < 0.5 ? 'control' : 'treatment';
    events.push({
      type: 'exposure',
      time,
      serial: 7,
      env: 'production',
      subject: 'experiment',
      key: 'exp-a',
      variant,
      unitKey,
    });
    for (let k = 0; k < 1 + Math.floor(rng.next() * 3); k++) {
      const value = rng.normal(variant === 'treatment' ? 4.2 : 4, 1);
      events.push({
        type: 'metric',
        time: time + k,
        serial: 7,
        env: 'production',
        subject: 'experiment',
        key: 'exp-a',
        variant,
        unitKey,
        metric: 'satisfaction',
        value,
      });
    }
    events.push({
      type: 'metric',
      time,
      serial: 7,
      env: u % 10 === 0 ? 'staging' : 'production',
      subject: 'experiment',
      key: 'exp-a',
      variant,
      unitKey,
      metric: 'converted',
      value: rng.bernoulli(variant === 'treatment' ? 0.22 : 0.2) ? 1 : 0,
    });
    const arm = rng.next() < 0.1 ? 'candidate' : 'control';
    events.push({
      type: 'exposure',
      time,
      serial: 7,
      env: 'production',
      subject: 'canary',
      key: 'rag',
      variant: arm,
      unitKey,
    });
    events.push({
      type: 'metric',
      time,
      serial: 7,
      env: 'production',
      subject: 'canary',
      key: 'rag',
      variant: arm,
      unitKey,
      metric: 'relevance',
      value: Math.min(1, Math.max(0, rng.normal(arm === 'candidate' ? 0.7 : 0.75, 0.1))),
    });
    if (u % 20 === 0) {
      const scored = u % 200 !== 0;
      events.push({
        type: 'shadow',
        time,
        serial: 7,
        env: 'production',
        rollout: 'chat-next',
        model: 'chat',
        primary: 'gpt-a',
        candidate: 'gpt-b',
        unitKey,
        requestId: `req-${u}`,
        ...(scored ? { similarity: Math.min(1, rng.normal(0.93, 0.04)) } : { error: 'timeout' }),
        primaryOutput: `answer ${u}`,
        candidateOutput: `réponse ${u} ✓`,
        primaryLatencyMs: 120,
        candidateLatencyMs: 140,
      });
    }
    if (u % 500 === 0)
      events.push({
        type: 'migration',
        time,
        serial: 7,
        env: 'production',
        migration: 'schema',
        key: 'conv-v2',
        subjectId: `c-${u}`,
        from: '1',
        to: '2',
      });
  }
  return events;
}
