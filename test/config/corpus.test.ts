import { cp, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CODES, loadProject } from '../../src/config/index.ts';
import { CORPUS, tempRepo } from './helpers.ts';

interface CorpusCase {
  description: string;
  expect: { code: string; file: string; line: number; col: number };
  /** Text the diagnostic's message must contain (e.g. the offending key). */
  messageContains?: string;
  remove?: string[];
}

// Each case directory holds `case.json` and `files/`, an overlay on the valid `_base` repository.
const names = (await readdir(CORPUS)).filter((name) => name !== '_base').sort();
const cases = await Promise.all(
  names.map(async (name) => ({
    name,
    ...(JSON.parse(await readFile(join(CORPUS, name, 'case.json'), 'utf8')) as CorpusCase),
  })),
);

describe('bad-input corpus', () => {
  it('has at least 40 distinct broken configurations with catalogued codes', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
    for (const c of cases) expect(Object.keys(CODES), c.name).toContain(c.expect.code);
  });

  it('the base fixture itself is clean', async () => {
    const repo = await tempRepo();
    try {
      const result = await loadProject(repo.dir);
      expect(result.errors).toEqual([]);
      expect(result.warnings).toEqual([]);
    } finally {
      await repo.cleanup();
    }
  });

  it.each(cases)('$name: $description → $expect.code at $expect.file:$expect.line:$expect.col', async (c) => {
    const repo = await tempRepo();
    try {
      await cp(join(CORPUS, c.name, 'files'), repo.dir, { recursive: true });
      for (const path of c.remove ?? []) await rm(join(repo.dir, path));
      const started = performance.now();
      const result = await loadProject(repo.dir);
      // A guard against pathological parsing, not a speed target: generous for busy CI machines.
      expect(performance.now() - started).toBeLessThan(30_000);
      const found = [...result.errors, ...result.warnings].map((d) => ({
        code: d.code,
        file: d.file,
        line: d.line,
        col: d.col,
      }));
      expect(found).toContainEqual(c.expect);
      const expected = [...result.errors, ...result.warnings].find((d) => d.code === c.expect.code)!;
      expect(expected.severity).toBe(CODES[c.expect.code as keyof typeof CODES].severity);
      expect(expected.message.length).toBeGreaterThan(0);
      if (c.messageContains !== undefined) expect(expected.message).toContain(c.messageContains);
      expect(expected.hint.length).toBeGreaterThan(0);
      if (c.expect.code.startsWith('E_')) expect(result.errors.length).toBeGreaterThan(0);
      else expect(result.errors).toEqual([]);
    } finally {
      await repo.cleanup();
    }
  });
});
