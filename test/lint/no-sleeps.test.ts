import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * "No sleeps, no flakes" (docs/testing.md): a test waits on a condition — `waitFor` (a bounded poll),
 * `watched` (a value a hook sets) — or paces load with `pace`, all in test/helpers/wait-for.ts. A
 * promise around `setTimeout` anywhere else in test code is a sleep in disguise and fails here.
 */
const root = join(import.meta.dirname, '..', '..');
const HELPER = 'test/helpers/wait-for.ts';
const SLEEP = [
  /new Promise\b[^\n]*=>\s*setTimeout\(/, // new Promise((r) => setTimeout(r, 100))
  /\bconst\s+(?:sleep|delay|wait)\s*=/, // a local sleep helper
  /\bsetTimeout\b[^\n]*from\s+['"]node:timers\/promises['"]/, // the promise form of setTimeout
];

function testSources(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
    const path = join(dir, e.name);
    if (e.isDirectory()) testSources(path, out);
    else if (/\.(ts|mts|mjs)$/.test(e.name)) out.push(path);
  }
  return out;
}

const sleeps = (files: Array<{ path: string; text: string }>): string[] =>
  files.flatMap(({ path, text }) =>
    text
      .split('\n')
      .map((line, i) => [line, i + 1] as const)
      .filter(([line]) => SLEEP.some((re) => re.test(line)))
      .map(([line, n]) => `${path}:${n}: ${line.trim()}`),
  );

describe('test code never sleeps', () => {
  it('the detector finds inline sleeps and sleep helpers, not waits on conditions', () => {
    expect(
      sleeps([
        {
          path: 'a.test.ts',
          text: [
            'await new Promise((r) => setTimeout(r, 100));',
            'const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));',
            "import { setTimeout as delay } from 'node:timers/promises';",
            "import { setImmediate as tick } from 'node:timers/promises';",
            "await waitFor('a held long-poll', () => held === 1);",
            'const timer = setTimeout(() => controller.abort(), 5000);',
          ].join('\n'),
        },
      ]).map((s) => s.split(':').slice(0, 2).join(':')),
    ).toEqual(['a.test.ts:1', 'a.test.ts:2', 'a.test.ts:3']);
  });

  it(`in test/ and packages/*/test, outside ${HELPER}`, () => {
    const dirs = [
      join(root, 'test'),
      ...readdirSync(join(root, 'packages')).map((p) => join(root, 'packages', p, 'test')),
    ];
    const files = dirs
      .flatMap((d) => {
        try {
          return testSources(d);
        } catch {
          return [];
        }
      })
      .map((f) => ({ path: relative(root, f).split(sep).join('/'), text: readFileSync(f, 'utf8') }))
      .filter((f) => f.path !== HELPER && f.path !== 'test/lint/no-sleeps.test.ts');
    expect(files.length).toBeGreaterThan(100);
    expect(sleeps(files)).toEqual([]);
  });
});
