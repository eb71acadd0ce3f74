/**
 * Keys in CI: every step that calls models must pass every key variable a model pin declares, or
 * that model is answered offline in CI. `switchyard github policy` (run by the PR workflow) says so
 * with the exact line to add.
 */
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { checkWorkflowKeys } from '../../src/github/workflow-keys.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const WORKFLOWS = ['pr.yml', 'eval-cache.yml', 'publish.yml'];
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'switchyard-keys-'));
  for (const entry of ['switchyard.yaml', 'prompts', 'models', 'experiments', 'rollouts', 'datasets', '.github'])
    await cp(join(ROOT, entry), join(dir, entry), { recursive: true });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

function io(cwd: string) {
  const out: string[] = [];
  return { out, stdout: (t: string) => out.push(t), stderr: (t: string) => out.push(t), cwd, env: {} };
}

describe('model keys in the workflows', () => {
  it("the repository's model-calling steps pass OPENAI_API_KEY and ANTHROPIC_API_KEY", async () => {
    const keys = [
      { variable: 'OPENAI_API_KEY', declaredBy: ['models/chat.yaml'] },
      { variable: 'ANTHROPIC_API_KEY', declaredBy: ['models/judge.yaml'] },
    ];
    for (const name of WORKFLOWS) {
      const text = await readFile(join(ROOT, '.github', 'workflows', name), 'utf8');
      expect(checkWorkflowKeys(name, text, keys), name).toEqual([]);
    }
  });

  it('names each step that lacks a declared key, at its env:, with the line to add', async () => {
    const text = await readFile(join(ROOT, '.github', 'workflows', 'pr.yml'), 'utf8');
    const found = checkWorkflowKeys('.github/workflows/pr.yml', text, [
      { variable: 'CLAUDE_KEY', declaredBy: ['models/judge.yaml'] },
    ]);
    expect(found.map((d) => d.message.split(' calls')[0])).toEqual([
      "step 'Evaluate one shard' of job 'eval-shard'",
      "step 'Evaluate the pull request' of job 'evaluate'",
    ]);
    const envLine = text.split('\n').findIndex((l) => l.includes('name: Evaluate one shard')) + 2;
    expect(found[0]).toMatchObject({ code: 'E_WF_MODEL_KEY_NOT_PASSED', severity: 'error', line: envLine + 1 });
    expect(found[0]?.hint).toContain('CLAUDE_KEY: ${{ secrets.CLAUDE_KEY }}');
  });

  it('switchyard github policy fails when a pin declares a key the workflows do not pass', async () => {
    const clean = io(dir);
    expect(await main(['github', 'policy'], clean)).toBe(0);
    await mkdir(join(dir, 'models'), { recursive: true });
    await writeFile(
      join(dir, 'models', 'judge.yaml'),
      'alias: judge\nprovider:\n  type: anthropic\n  apiKeyEnv: CLAUDE_KEY\n' +
        'snapshot: claude-sonnet-4-5-20250929\nconversations: pinned\nretired: []\n',
    );
    const broken = io(dir);
    expect(await main(['github', 'policy'], broken)).toBe(1);
    const text = broken.out.join('\n');
    expect(text).toContain('E_WF_MODEL_KEY_NOT_PASSED');
    expect(text).toContain('does not pass CLAUDE_KEY (declared by models/judge.yaml)');
    expect(text).toContain('CLAUDE_KEY: ${{ secrets.CLAUDE_KEY }}');
  });
});
