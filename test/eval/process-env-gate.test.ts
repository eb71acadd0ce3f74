import { describe, expect, it } from 'vitest';
import { ProcessEnvGate } from '../../src/eval/process-env-gate.ts';

const NAME = 'SWITCHYARD_GATE_TEST_URL';

/** A promise with its resolver, to hold a call open until the test lets it finish. */
function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('ProcessEnvGate', () => {
  it('runs calls with equal values together, makes other values wait, and restores the variable', async () => {
    delete process.env[NAME];
    const gate = new ProcessEnvGate();
    const seen: string[] = [];
    const holdA = deferred();
    const a1 = gate.run({ [NAME]: 'a' }, async () => {
      seen.push(`a1:${process.env[NAME]}`);
      await holdA.promise;
    });
    const a2 = gate.run({ [NAME]: 'a' }, async () => {
      seen.push(`a2:${process.env[NAME]}`);
    });
    const b = gate.run({ [NAME]: 'b' }, async () => {
      seen.push(`b:${process.env[NAME]}`);
    });
    const free = gate.run({}, async () => {
      seen.push('free');
    });
    await Promise.all([a2, free]);
    // b waits for every call holding 'a'.
    expect(seen).toEqual(['a1:a', 'a2:a', 'free']);
    holdA.resolve();
    await Promise.all([a1, b]);
    expect(seen).toEqual(['a1:a', 'a2:a', 'free', 'b:b']);
    expect(process.env[NAME]).toBeUndefined();
  });

  it('restores the previous value and survives a failing call', async () => {
    process.env[NAME] = 'before';
    const gate = new ProcessEnvGate();
    await expect(
      gate.run({ [NAME]: 'x' }, async () => {
        throw new Error(`boom at ${process.env[NAME]}`);
      }),
    ).rejects.toThrow('boom at x');
    expect(process.env[NAME]).toBe('before');
    expect(await gate.run({ [NAME]: 'y' }, async () => process.env[NAME])).toBe('y');
    expect(process.env[NAME]).toBe('before');
    delete process.env[NAME];
  });
});
