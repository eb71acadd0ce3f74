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

describe('import promptfoo: list variables', () => {
  it('expands a list variable into one case per value, as promptfoo runs it (eval does not expand)', async () => {
    const r = await run({
      'evals/support/promptfooconfig.yaml': `prompts:
  - "{{question}} [{{tags}}] {{tone}}"
providers:
  - openai:chat:gpt-4o-2024-08-06
defaultTest:
  vars: { tone: [calm, brief] }
tests: file://cases/tests.yaml
`,
      'evals/support/cases/tests.yaml': `- description: refund
  vars: { question: refund?, tags: [billing, refund] }
  assert: [{ type: icontains, value: refund }]
- vars: { question: hi, tags: none }
  assert: [{ type: contains, value: hi }]
`,
    });
    const doc = r.doc as { tests: { cases: Array<{ description: string; vars: object }>; defaultTest?: object } };
    // promptfoo's order: per test, the combinations of its list variables (defaultTest's included).
    expect(doc.tests.cases.map((c) => [c.description, c.vars])).toEqual([
      ['refund (tone: calm, tags: billing)', { question: 'refund?', tags: 'billing', tone: 'calm' }],
      ['refund (tone: calm, tags: refund)', { question: 'refund?', tags: 'refund', tone: 'calm' }],
      ['refund (tone: brief, tags: billing)', { question: 'refund?', tags: 'billing', tone: 'brief' }],
      ['refund (tone: brief, tags: refund)', { question: 'refund?', tags: 'refund', tone: 'brief' }],
      ['case 2 (tone: calm)', { question: 'hi', tags: 'none', tone: 'calm' }],
      ['case 2 (tone: brief)', { question: 'hi', tags: 'none', tone: 'brief' }],
    ]);
    // The list left defaultTest (every case now sets its value) and the file could not stay a file.
    expect(doc.tests.defaultTest).toBeUndefined();
    expect(r.info).toEqual([
      'list variables expanded: 2 tests became 6 cases, one per value, as promptfoo runs them',
      'prompt prompt-1: the cases of evals/support/cases/tests.yaml are copied into the version (it has list variables, each expanded into one case per value)',
    ]);
  });

  it('notes a file glob variable, which promptfoo would run once per file', async () => {
    const r = await run({
      'evals/support/promptfooconfig.yaml': CONFIG,
      'evals/support/cases/tests.yaml': `- vars: { question: "file://q/*.txt" }
  assert: [{ type: contains, value: a }]
`,
    });
    expect(r.notes).toEqual([
      'test 1: var question is a file glob (file://q/*.txt); promptfoo runs one test per file — list the files',
    ]);
  });
});
