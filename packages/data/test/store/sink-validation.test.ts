import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, validateEvent, type EventStore } from '../../src/store/index.ts';
import type { SwitchyardEvent } from '../../src/store/events.ts';
import { exposure, metric, t0 } from './event-builders.ts';

const run = promisify(execFile);
const shadow = (i: number, similarity: number | undefined, error?: string): SwitchyardEvent => ({
  type: 'shadow',
  time: t0 + i,
  serial: 1,
  env: 'production',
  rollout: 'chat-next',
  model: 'chat',
  primary: 'a-2024-01-01',
  candidate: 'b-2024-08-06',
  unitKey: `u${i}`,
  ...(similarity === undefined ? {} : { similarity }),
  ...(error ? { error } : {}),
});

describe('evidence is validated where it enters the store', () => {
  let store: EventStore;
  beforeAll(async () => {
    store = await openStore({ backend: 'pglite' });
  });
  afterAll(async () => {
    await store?.close();
  });

  it('refuses bad events one by one, with a counted reason; the rest of the batch is written', async () => {
    const sink = store.createSink({ batchSize: 100 });
    const good = [
      exposure('g1', 'control', 'sink'),
      exposure('g2', 'treatment', 'sink'),
      metric('g1', 'control', 'm', 1, 'sink'),
      shadow(1, 0.9),
      shadow(2, undefined, 'timeout'),
    ];
    const bad = [
      metric('b1', 'control', 'm', Number.NaN, 'sink'),
      metric('b2', 'control', 'm', Number.POSITIVE_INFINITY, 'sink'),
      exposure('evil\u0000key', 'control', 'sink'),
      { type: 'bogus', time: t0, serial: 1, env: 'x' } as unknown as SwitchyardEvent,
      shadow(3, 1.5),
      shadow(4, Number.NaN),
      { ...exposure('b3', 'control', 'sink'), serial: 1.5 },
    ];
    for (const e of [...good.slice(0, 2), ...bad, ...good.slice(2)]) sink.write(e);
    await sink.close();
    const stats = sink.stats();
    expect(stats).toMatchObject({ accepted: 5, written: 5, dropped: 7 });
    expect(stats.refused).toEqual({
      'non-finite-number': 4,
      'nul-in-text': 1,
      'unknown-type': 1,
      'similarity-out-of-range': 1,
    });
  });

  it('a batch written directly keeps its good events and reports the refused ones', async () => {
    const report = await store.writeBatch([
      { source: 'direct', seq: 1, event: exposure('d1', 'control', 'direct') },
      { source: 'direct', seq: 2, event: metric('d1', 'control', 'm', Number.NaN, 'direct') },
      { source: 'direct', seq: 3, event: exposure('d\u00002', 'control', 'direct') },
    ]);
    expect(report).toEqual({ inserted: 1, refused: { 'non-finite-number': 1, 'nul-in-text': 1 } });
    expect(await store.queries.exposureUnits('experiment', 'direct')).toEqual([{ variant: 'control', units: 1 }]);
  });
});

describe('closing the sink', () => {
  const child = join(import.meta.dirname, 'sink-close-child.ts');

  it('close() waits for a batch in retry back-off instead of letting Node exit mid-retry', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', child, '3', '10000'], { timeout: 60_000 });
    expect(JSON.parse(stdout)).toMatchObject({ accepted: 10, written: 10, dropped: 0, attempts: 4 });
  });

  it('at its deadline close() counts what is left as dropped: written + dropped = accepted', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', child, '1000000', '400'], { timeout: 60_000 });
    const stats = JSON.parse(stdout);
    expect(stats).toMatchObject({ accepted: 10, written: 0, dropped: 10 });
    expect(stats.closeMs).toBeGreaterThanOrEqual(390);
    expect(stats.closeMs).toBeLessThan(5000);
  });

  it('validateEvent accepts what the runtime emits', () => {
    expect(validateEvent(exposure('u', 'control'))).toBeNull();
    expect(validateEvent(metric('u', 'control', 'm', -3.5))).toBeNull();
    expect(validateEvent(shadow(1, 0))).toBeNull();
    expect(validateEvent(shadow(1, 1))).toBeNull();
    expect(
      validateEvent({
        type: 'migration',
        time: t0,
        serial: 0,
        env: 'p',
        migration: 'schema',
        key: 'k',
        from: '1',
        to: '2',
      }),
    ).toBeNull();
    expect(validateEvent({ ...exposure('u', 'control'), subject: 'planet' })).toBe('unknown-subject');
  });
});
