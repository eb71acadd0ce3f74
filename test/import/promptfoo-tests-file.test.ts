import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { importPromptfoo } from '../../src/import/promptfoo-config.ts';

const CONFIG = `prompts:
  - "Answer: {{question}}"
providers:
  - openai:chat:gpt-4o-2024-08-06
tests: file://cases/tests.yaml
`;

async function run(files: Record<string, string>) {
  const result = await importPromptfoo({
    configPath: 'evals/support/promptfooconfig.yaml',
    read: async (path) => {
      const text = files[path];
      if (text === undefined) throw new Error(`no ${path}`);
      return text;
    },
    project: undefined,
  });
  const version = result.files.find((f) => f.path.startsWith('prompts/'));
  return { ...result, doc: parse(version?.text ?? '{}') as { tests: { cases: unknown } } };
}

describe('import promptfoo: tests: file://…', () => {
  it('keeps a tests file Switchyard reads as it is, referenced from the repository root', async () => {
    const r = await run({
      'evals/support/promptfooconfig.yaml': CONFIG,
      'evals/support/cases/tests.yaml': `- description: refund
  vars: { question: refund? }
  assert: [{ type: icontains, value: refund }]
- vars: { question: hi }
  assert: [{ type: contains, value: hi }]
`,
    });
    expect(r.doc.tests.cases).toBe('file://evals/support/cases/tests.yaml');
    expect(r.info).toEqual([
      'prompt prompt-1: tests stay in evals/support/cases/tests.yaml (tests.cases: file://evals/support/cases/tests.yaml)',
    ]);
    expect(r.notes).toEqual([]);
  });

  it('copies the cases in, and says why, when the file needs converting', async () => {
    const withKey = await run({
      'evals/support/promptfooconfig.yaml': CONFIG,
      'evals/support/cases/tests.yaml': `- vars: { question: a }
  assert: [{ type: contains, value: a }]
  metadata: { owner: x }
`,
    });
    expect(withKey.doc.tests.cases).toEqual([
      { description: 'case 1', vars: { question: 'a' }, assert: [{ type: 'contains', value: 'a' }] },
    ]);
    expect(withKey.info[0]).toMatch(
      /cases of evals\/support\/cases\/tests.yaml are copied into the version \(case 1 needs converting/,
    );
    expect(withKey.notes).toEqual(["test 1: 'metadata' not imported"]);

    // A path relative to the tests file is rewritten once, relative to the repository root.
    const withPath = await run({
      'evals/support/promptfooconfig.yaml': CONFIG,
      'evals/support/cases/tests.yaml': `- vars: { question: file://q.txt }
  assert: [{ type: contains, value: a }]
`,
    });
    expect(withPath.doc.tests.cases).toEqual([
      {
        description: 'case 1',
        vars: { question: 'file://evals/support/cases/q.txt' },
        assert: [{ type: 'contains', value: 'a' }],
      },
    ]);
  });

  it('reads JSON Lines tests files', async () => {
    const r = await run({
      'evals/support/promptfooconfig.yaml': CONFIG.replace('tests.yaml', 'tests.jsonl'),
      'evals/support/cases/tests.jsonl': `${JSON.stringify({ vars: { question: 'a' }, assert: [{ type: 'contains', value: 'a' }] })}\n`,
    });
    expect(r.doc.tests.cases).toBe('file://evals/support/cases/tests.jsonl');
  });
});
