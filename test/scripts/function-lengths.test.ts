import { describe, expect, it } from 'vitest';
import { measureFunctions, renderLengths } from '../../scripts/lengths/measure-functions.ts';

const SOURCE = `export function outer(a: number): number {
  const double = (x: number) => {
    return x * 2;
  };
  return [a].map((x) => double(x))[0]!;
}

class Box {
  constructor(readonly v: number) {}
  get value(): number {
    return this.v;
  }
}

declare function typed(): void;
const object = { method() { return 1; } };
`;

describe('measureFunctions', () => {
  const rows = measureFunctions([{ path: 'src/a.ts', text: SOURCE }]);

  it('measures every function with a body, from its first line to its last, longest first', () => {
    expect(rows).toEqual([
      { lines: 6, name: 'outer', location: 'src/a.ts:1' },
      { lines: 3, name: 'double', location: 'src/a.ts:2' },
      { lines: 3, name: 'value', location: 'src/a.ts:10' },
      { lines: 1, name: '<callback of [a].map>', location: 'src/a.ts:5' },
      { lines: 1, name: 'constructor', location: 'src/a.ts:9' },
      { lines: 1, name: 'method', location: 'src/a.ts:16' },
    ]);
  });

  it('renders a Markdown table', () => {
    expect(renderLengths(rows.slice(0, 1))).toBe(
      '| Lines | Function | Location |\n|---|---|---|\n| 6 | outer | src/a.ts:1 |',
    );
  });
});
