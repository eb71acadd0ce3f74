import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createJsonlFileSink, createMemorySink } from '../src/index.ts';
import type { SwitchyardEvent } from '../src/index.ts';

const event = (i: number): SwitchyardEvent => ({
  type: 'exposure',
  time: i,
  serial: 1,
  env: 'production',
  subject: 'experiment',
  key: 'e',
  variant: 'control',
  unitKey: `u${i}`,
});

describe('memory sink', () => {
  it('keeps events up to its capacity and counts the rest as dropped', () => {
    const s = createMemorySink({ capacity: 3 });
    for (let i = 0; i < 5; i++) s.write(event(i));
    expect(s.events().map((e) => (e as { unitKey: string }).unitKey)).toEqual(['u0', 'u1', 'u2']);
    expect(s.stats()).toMatchObject({ accepted: 3, written: 3, dropped: 2 });
    expect(s.drain()).toHaveLength(3);
    expect(s.events()).toHaveLength(0);
  });
});

describe('JSONL file sink', () => {
  it('appends one JSON object per line, asynchronously, without blocking write', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'switchyard-sink-'));
    try {
      const path = join(dir, 'events.jsonl');
      const s = createJsonlFileSink(path, { batchSize: 100, flushIntervalMs: 10 });
      const t0 = performance.now();
      for (let i = 0; i < 10_000; i++) s.write(event(i));
      const perWrite = (performance.now() - t0) / 10_000;
      expect(perWrite).toBeLessThan(0.05); // synchronous buffering only; generous bound for slow CI
      await s.close();
      const lines = (await readFile(path, 'utf8')).trimEnd().split('\n');
      expect(lines).toHaveLength(10_000);
      expect(JSON.parse(lines[9_999] as string)).toEqual(event(9_999));
      expect(s.stats()).toMatchObject({ accepted: 10_000, written: 10_000, dropped: 0 });
      // Append-only: a second sink adds to the same file.
      const s2 = createJsonlFileSink(path);
      s2.write(event(1));
      await s2.close();
      expect((await readFile(path, 'utf8')).trimEnd().split('\n')).toHaveLength(10_001);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('counts drops when its buffer is full and when the disk keeps failing; never throws', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'switchyard-sink-'));
    try {
      const full = createJsonlFileSink(join(dir, 'a.jsonl'), {
        maxBuffer: 10,
        flushIntervalMs: 60_000,
        batchSize: 1000,
      });
      for (let i = 0; i < 25; i++) full.write(event(i));
      expect(full.stats()).toMatchObject({ accepted: 10, dropped: 15 });
      await full.close();
      expect(full.stats()).toMatchObject({ written: 10, dropped: 15 });

      // The target is a directory: every append fails.
      const failing = createJsonlFileSink(dir, { maxAttempts: 2, flushIntervalMs: 1 });
      for (let i = 0; i < 5; i++) expect(() => failing.write(event(i))).not.toThrow();
      await failing.flush();
      const st = failing.stats();
      expect(st).toMatchObject({ accepted: 5, written: 0, dropped: 5 });
      expect(st.lastError).toBeTruthy();
      await failing.close();
      failing.write(event(9));
      expect(failing.stats().dropped).toBe(6);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
