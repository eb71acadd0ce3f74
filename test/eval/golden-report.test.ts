/**
 * The golden report of the demo organisation's PR (rollout 5 → 25, summarization v2 active, v1
 * deprecated, experiment stopped), with volatile fields stripped. Regenerate with UPDATE_GOLDEN=1.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { stripVolatile, type Report } from '../../src/eval/index.ts';
import { applyDemoPr, makeDemoRepo, REPO_ROOT, type DemoRepo } from './demo-repo.ts';
import { testIo } from './io.ts';

const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'golden-report');
let repo: DemoRepo | undefined;
afterAll(() => repo?.cleanup());

function stripMarkdown(md: string): string {
  return md
    .replace(/[+−±]?\d+ ms\b/g, '<n> ms')
    .replace(/head `[0-9a-f]{12}`/g, 'head `<commit>`')
    .replace(/sha256:[0-9a-f]{64}/g, 'sha256:<sha256>')
    .replace(/base `[^`]+`/, 'base `<base>`');
}

async function golden(name: string, actual: string): Promise<void> {
  const file = join(FIXTURES, name);
  if (process.env.UPDATE_GOLDEN === '1') {
    await mkdir(FIXTURES, { recursive: true });
    await writeFile(file, actual);
  }
  expect(actual).toBe(await readFile(file, 'utf8'));
}

describe('golden report: the demo organisation PR', () => {
  it('matches the checked-in report (Markdown and JSON) and the JSON schema', async () => {
    repo = await makeDemoRepo();
    await applyDemoPr(repo);
    // One new case v2 does not pass (4/5 still clears minPassRate 0.8): the comment lists it with
    // both of its failed assertions, on its YAML line.
    await repo.edit('prompts/summarization/v2.yaml', (t) =>
      t.replace(
        '    - description: stays close to the reference summary',
        [
          '    - description: names who handles VAT corrections',
          '      vars:',
          '        ticket: My invoice shows the wrong VAT number and finance needs it fixed before Friday.',
          '      assert:',
          '        - type: icontains',
          '          value: billing team',
          '        - type: icontains',
          '          value: escalate',
          '    - description: stays close to the reference summary',
        ].join('\n'),
      ),
    );
    repo.commit('rollout 25%, summarization v2 active');
    // As in CI: the comment links the workflow run and its artifact.
    const ci = {
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_REPOSITORY: 'acme/assistant-config',
      GITHUB_RUN_ID: '4242',
    };
    for (const step of ['eval', 'shadow', 'report']) {
      const io = testIo(repo.dir, ci);
      expect(await main([step, '--base', 'HEAD~1'], io), `${step}: ${io.text()}`).toBe(0);
    }
    const report = JSON.parse(await readFile(join(repo.dir, '.switchyard/report/report.json'), 'utf8')) as Report;
    const markdown = await readFile(join(repo.dir, '.switchyard/report/report.md'), 'utf8');

    const schema = JSON.parse(await readFile(join(REPO_ROOT, 'schemas', 'report.schema.json'), 'utf8')) as object;
    const validate = new Ajv2020({ allErrors: true, strict: true }).compile(schema);
    expect(validate(report), JSON.stringify(validate.errors)).toBe(true);

    expect(report.verdict).toBe('pass');
    expect(report.offline).toBe(true);
    const changes = report.changes.map((c) => c.text);
    expect(changes).toContain('5% → 25% of new chat conversations get gpt-4o-2024-08-06');
    expect(changes).toContain('summarization v2 becomes active (was v1)');
    expect(changes).toContain('summarization v1 deprecated (was active)');
    expect(report.tests.targets.find((t) => t.id === 'summarization@v2:gpt-4o-2024-05-13')?.gate).toBe('activation');
    expect(report.shadow.comparisons.map((c) => c.id)).toEqual([
      'rollout:chat-gpt-4o-2024-08-06',
      'prompt:summarization',
    ]);
    expect(markdown).toContain('Offline results');

    await golden('report.json', `${JSON.stringify(stripVolatile(report), null, 2)}\n`);
    await golden('report.md', stripMarkdown(markdown));
  });
});
