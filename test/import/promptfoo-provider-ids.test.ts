import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { importPromptfoo } from '../../src/import/promptfoo-config.ts';

/** Imports a one-prompt, one-test promptfoo config whose provider is `provider`. */
async function importWith(provider: unknown) {
  const files: Record<string, string> = {
    'evals/promptfooconfig.yaml': JSON.stringify({
      prompts: ['Answer briefly: {{question}}'],
      providers: [provider],
      tests: [{ vars: { question: 'Why?' }, assert: [{ type: 'icontains', value: 'because' }] }],
    }),
  };
  return importPromptfoo({
    configPath: 'evals/promptfooconfig.yaml',
    read: async (path) => files[path] ?? Promise.reject(new Error(`no ${path}`)),
    project: undefined,
  });
}

describe('import promptfoo: provider ids', () => {
  it('maps anthropic:messages:<snapshot> to an anthropic pin, apiBaseUrl to its baseUrl', async () => {
    const r = await importWith({
      id: 'anthropic:messages:claude-sonnet-4-5-20250929',
      config: { apiBaseUrl: 'http://proxy:8080', temperature: 0 },
    });
    const model = r.files.find((f) => f.path.startsWith('models/'));
    expect(model?.path).toBe('models/imported-claude-sonnet-4-5.yaml');
    expect(parse(model?.text ?? '')).toMatchObject({
      provider: { type: 'anthropic', baseUrl: 'http://proxy:8080' },
      snapshot: 'claude-sonnet-4-5-20250929',
    });
    const version = parse(r.files.find((f) => f.path.startsWith('prompts/'))?.text ?? '') as Record<string, unknown>;
    expect(version).toMatchObject({ model: 'imported-claude-sonnet-4-5', params: { temperature: 0 } });
  });

  it('still maps openai ids, and notes an id it cannot serve', async () => {
    const openai = await importWith('openai:chat:gpt-4o-2024-08-06');
    expect(parse(openai.files[0]?.text ?? '')).toMatchObject({ provider: { type: 'openai' } });
    const other = await importWith('bedrock:anthropic.claude-v2');
    expect(other.files).toEqual([]);
    expect(other.notes.join('\n')).toContain('is not an OpenAI chat or Anthropic messages provider');
  });
});
