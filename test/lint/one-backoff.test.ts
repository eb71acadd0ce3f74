import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The repository has one retry-delay rule, `backoffDelay` in packages/runtime/src/backoff.ts (cap,
 * jitter, Retry-After; docs/ARCHITECTURE.md). A hand-rolled doubling delay (`base * 2 ** attempt`,
 * `Math.pow(2, n)`) anywhere else in product code fails here: it has been the source of uncapped,
 * unjittered retries twice.
 */
const root = join(import.meta.dirname, '..', '..');
const ONE = 'packages/runtime/src/backoff.ts';
const DOUBLING = /\b2\s*\*\*|Math\.pow\(\s*2\s*,/;

function sources(dir: string, out: string[] = []): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory() && e.name !== 'node_modules') sources(path, out);
    else if (/\.(ts|mts|mjs|js)$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

const doublings = (files: Array<{ path: string; text: string }>): string[] =>
  files.flatMap(({ path, text }) =>
    text
      .split('\n')
      .map((line, i) => [line, i + 1] as const)
      .filter(([line]) => DOUBLING.test(line) && !/^\s*(\/\/|\*)/.test(line))
      .map(([, n]) => `${path}:${n}`),
  );

describe('backoff', () => {
  it('the detector finds a doubling delay and ignores comments', () => {
    expect(
      doublings([
        { path: 'a.ts', text: '// base * 2 ** n\nawait sleep(backoffMs * 2 ** (attempt - 1));\nMath.pow(2, n);' },
      ]),
    ).toEqual(['a.ts:2', 'a.ts:3']);
  });

  it(`has one implementation (${ONE}): no other product source doubles a delay itself`, () => {
    const dirs = ['src', 'packages', 'examples'].flatMap((top) =>
      top === 'src' ? [join(root, 'src')] : readdirSync(join(root, top)).map((p) => join(root, top, p, 'src')),
    );
    const files = dirs
      .flatMap((d) => sources(d))
      .map((f) => ({ path: relative(root, f).split(sep).join('/'), text: readFileSync(f, 'utf8') }))
      .filter((f) => f.path !== ONE);
    expect(files.length).toBeGreaterThan(100);
    expect(doublings(files)).toEqual([]);
  });
});
