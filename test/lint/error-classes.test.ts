import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Every error class of the product code extends SwitchyardError, so anything thrown carries a stable,
 * catalogued code (docs/ARCHITECTURE.md, "Errors and results"): a class extending a built-in error
 * directly (`extends Error`, `TypeError`, `RangeError`, …) in src/ or packages/*\/src fails here.
 */
const root = join(import.meta.dirname, '..', '..');
const BUILT_IN =
  /\bclass\s+(\w+)(?:<[^>]*>)?\s+extends\s+(Error|TypeError|RangeError|SyntaxError|ReferenceError|EvalError|URIError|AggregateError)\b/g;

function sources(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory() && e.name !== 'node_modules') sources(path, out);
    else if (/\.(ts|mts|mjs|js)$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** `file:line class Name extends Base` for each class extending a built-in error. */
function plainErrorClasses(files: Array<{ path: string; text: string }>): string[] {
  const found: string[] = [];
  for (const { path, text } of files)
    for (const m of text.matchAll(BUILT_IN)) {
      if (path === 'packages/runtime/src/errors.ts' && m[1] === 'SwitchyardError') continue; // the base itself
      found.push(`${path}:${text.slice(0, m.index).split('\n').length} class ${m[1]} extends ${m[2]}`);
    }
  return found;
}

describe('error classes', () => {
  it('the detector finds a class extending a built-in error, and not one extending SwitchyardError', () => {
    expect(
      plainErrorClasses([
        { path: 'a.ts', text: 'export class A extends SwitchyardError {}\n\nclass B extends Error {}\n' },
        { path: 'b.ts', text: 'class C<T> extends RangeError {}' },
      ]),
    ).toEqual(['a.ts:3 class B extends Error', 'b.ts:1 class C extends RangeError']);
  });

  it('in src/ and packages/*/src all extend SwitchyardError (a stable code), none a built-in error', () => {
    const dirs = [
      join(root, 'src'),
      ...readdirSync(join(root, 'packages')).map((p) => join(root, 'packages', p, 'src')),
    ];
    const files = dirs
      .flatMap((d) => sources(d))
      .map((f) => ({
        path: relative(root, f).split(sep).join('/'),
        text: readFileSync(f, 'utf8'),
      }));
    expect(files.length).toBeGreaterThan(100);
    expect(plainErrorClasses(files)).toEqual([]);
  });
});
