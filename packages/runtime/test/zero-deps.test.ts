/** @switchyard/runtime must depend on nothing but Node's standard library. */
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const src = join(root, 'src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Static and dynamic import / export-from / require specifiers. */
function specifiers(code: string): string[] {
  const out: string[] = [];
  const patterns = [
    /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]/g,
    /import\s*['"]([^'"]+)['"]/g,
    /import\(\s*['"]([^'"]+)['"]\s*\)/g,
    /require\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const re of patterns) for (const m of code.matchAll(re)) out.push(m[1] as string);
  return out;
}

describe('zero dependencies', () => {
  it('package.json declares no dependencies of any kind', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, unknown>;
    for (const field of [
      'dependencies',
      'peerDependencies',
      'optionalDependencies',
      'bundleDependencies',
      'bundledDependencies',
    ]) {
      const v = pkg[field];
      expect(v === undefined || (typeof v === 'object' && v !== null && Object.keys(v).length === 0), field).toBe(true);
    }
  });

  it('every import in src is a Node builtin or a file inside src', () => {
    const all = files(src);
    expect(all.length).toBeGreaterThan(10);
    const builtins = new Set(builtinModules);
    const offenders: string[] = [];
    for (const file of all) {
      for (const spec of specifiers(readFileSync(file, 'utf8'))) {
        if (spec.startsWith('node:')) {
          if (!builtins.has(spec.slice(5))) offenders.push(`${file}: ${spec}`);
          continue;
        }
        if (spec.startsWith('.')) {
          const target = resolve(dirname(file), spec);
          if (!target.startsWith(src + '/') || !existsSync(target)) offenders.push(`${file}: ${spec}`);
          continue;
        }
        offenders.push(`${file}: ${spec}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('the detector itself catches a bare import', () => {
    expect(
      specifiers(`import x from 'left-pad';\nexport { y } from "./y.ts";\nconst z = await import('zod');`),
    ).toEqual(['left-pad', './y.ts', 'zod']);
  });
});
