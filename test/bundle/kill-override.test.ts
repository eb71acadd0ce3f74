import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { compileBundle } from '../../src/bundle/compile.ts';
import { loadProject } from '../../src/config/index.ts';
import { REPO_ROOT, removeDir, tempDir } from './git-fixture.ts';

const COMMIT = '0123456789abcdef0123456789abcdef01234567';
const ROLLOUT = 'rollouts/chat-gpt-4o-2024-08-06.yaml';
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) removeDir(dir);
});

/** The demo organisation on disk with the model rollout globally killed and revived in production. */
function killedButRevivedRepo(): string {
  const dir = tempDir('kill-override');
  dirs.push(dir);
  for (const entry of ['switchyard.yaml', 'prompts', 'models', 'experiments', 'rollouts', 'datasets']) {
    cpSync(join(REPO_ROOT, entry), join(dir, entry), { recursive: true });
  }
  const path = join(dir, ROLLOUT);
  const text = readFileSync(path, 'utf8');
  expect(text).toContain('killed: false\n');
  expect(text).toMatch(/environments:\n {2}staging:\n {4}percent: 25\n?$/);
  writeFileSync(
    path,
    `${text.replace('killed: false\n', 'killed: true\n').trimEnd()}\n  production:\n    killed: false\n`,
  );
  return dir;
}

describe('environment kill overrides', () => {
  it('the validator warns that `environments.<env>.killed: false` has no effect, at the override', async () => {
    const loaded = await loadProject(killedButRevivedRepo());
    expect(loaded.errors).toEqual([]);
    const warning = loaded.warnings.find((w) => w.code === 'W_KILL_OVERRIDE_NO_EFFECT');
    expect(warning).toMatchObject({ severity: 'warning', file: ROLLOUT, pointer: '/environments/production/killed' });
    expect(warning!.line).toBeGreaterThan(20);
    expect(warning!.message).toContain('killed everywhere');
  });

  it('the loaded project compiles the rollout as killed in every environment despite the override', async () => {
    const loaded = await loadProject(killedButRevivedRepo());
    for (const env of ['staging', 'production']) {
      const compiled = compileBundle(loaded.value!, { env, commit: COMMIT });
      expect(compiled.errors).toEqual([]);
      expect(compiled.value!.payload.flags['chat-gpt-4o-2024-08-06']).toMatchObject({ killed: true, thresholdPpm: 0 });
    }
  });

  it('the demo organisation itself has no such override (no warning)', async () => {
    const loaded = await loadProject(REPO_ROOT);
    expect(loaded.warnings.filter((w) => w.code === 'W_KILL_OVERRIDE_NO_EFFECT')).toEqual([]);
  });
});
