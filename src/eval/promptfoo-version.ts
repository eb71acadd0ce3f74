/**
 * The installed promptfoo's version, for the cache key: another promptfoo may grade the same answer
 * differently (an assertion's implementation, its defaults), so its verdicts are not reused.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

let cached: string | undefined;

/** `promptfoo@<version>` of the package this process imports (its package.json is not exported). */
export function promptfooVersion(): string {
  if (cached !== undefined) return cached;
  let dir = dirname(createRequire(import.meta.url).resolve('promptfoo'));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'promptfoo' && typeof pkg.version === 'string') return (cached = `promptfoo@${pkg.version}`);
    } catch {
      // No package.json at this level: keep going up.
    }
    const up = dirname(dir);
    if (up === dir) return (cached = 'promptfoo@unknown');
    dir = up;
  }
}
