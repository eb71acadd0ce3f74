/**
 * A throwaway git repository holding the demo organisation as this checkout tracks it: only files
 * `git ls-files` lists (no half-written or ignored files), committed with a fixed identity and date.
 * Implements the `DemoRepo` shape of the eval tests so `applyDemoPr` can turn it into the demo PR.
 */
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { commitDemoRepo, type DemoRepo } from '../../test/eval/demo-repo.ts';

export const SOURCE_ROOT = resolve(import.meta.dirname, '..', '..');
const DEMO_PATHS = ['switchyard.yaml', 'prompts', 'models', 'experiments', 'rollouts', 'datasets'];

/** Copies the tracked demo files of `source` into a fresh repository and commits them on `main`. */
export async function makeDemoCopy(source: string = SOURCE_ROOT): Promise<DemoRepo> {
  const listed = execFileSync('git', ['ls-files', '-z', '--', ...DEMO_PATHS], { cwd: source, encoding: 'utf8' });
  const files = listed.split('\0').filter((f) => f !== '');
  if (!files.includes('switchyard.yaml'))
    throw new Error(`${source}: no tracked switchyard.yaml — not a Switchyard checkout`);
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-bench-pipeline-'));
  for (const file of files) {
    await mkdir(dirname(join(dir, file)), { recursive: true });
    await copyFile(join(source, file), join(dir, file));
  }
  return commitDemoRepo(dir);
}
