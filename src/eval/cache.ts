/**
 * Content-keyed cache of case results under `<root>/.switchyard/eval-cache/`. A result is reused
 * only when its key — prompt as rendered, snapshot, parameters, assertions, provider and graders —
 * is identical, so an unchanged case is never sent to a model twice. Errored cases are not cached.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CaseResult } from './results.ts';

export interface CaseCache {
  get(key: string): Promise<CaseResult | undefined>;
  put(key: string, result: CaseResult): Promise<void>;
}

/**
 * Every cache directory the evaluator writes, relative to the repository root: the only paths a
 * workflow may keep with actions/cache (test/github/workflows.test.ts). promptfoo's own cache is
 * off (`cache: false` in promptfoo-batch.ts), so `.switchyard/promptfoo-cache` is never written.
 */
export const WRITTEN_CACHE_PATHS: readonly string[] = ['.switchyard/eval-cache'];

export function cacheDir(root: string): string {
  return join(root, '.switchyard', 'eval-cache');
}

/** A cache in `dir`; unreadable or corrupt entries count as misses. */
export function openCaseCache(dir: string): CaseCache {
  const path = (key: string) => join(dir, key.slice(0, 2), `${key}.json`);
  return {
    async get(key) {
      try {
        const parsed = JSON.parse(await readFile(path(key), 'utf8')) as { key?: string; result?: CaseResult };
        return parsed.key === key && parsed.result ? parsed.result : undefined;
      } catch {
        return undefined;
      }
    },
    async put(key, result) {
      const file = path(key);
      await mkdir(join(dir, key.slice(0, 2)), { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      await writeFile(tmp, JSON.stringify({ key, result }));
      await rename(tmp, file);
    },
  };
}
