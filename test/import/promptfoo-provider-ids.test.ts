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
    expect(other.notes.join('\n')).toContain('is not an OpenAI chat, Anthropic messages, Ollama or http provider');
  });

  it('maps ollama:chat:<model> to an ollama pin, num_predict to max_tokens; a floating tag needs a dated one', async () => {
    const r = await importWith({ id: 'ollama:chat:llama3.1:8b', config: { temperature: 0.3, num_predict: 200 } });
    const model = r.files.find((f) => f.path.startsWith('models/'));
    expect(model?.path).toBe('models/imported-llama3-1-8b.yaml');
    expect(parse(model?.text ?? '')).toMatchObject({ provider: { type: 'ollama' }, snapshot: 'llama3.1:8b' });
    expect(model?.text).toContain('# TODO(switchyard import)');
    const version = parse(r.files.find((f) => f.path.startsWith('prompts/'))?.text ?? '') as Record<string, unknown>;
    expect(version).toMatchObject({ params: { temperature: 0.3, max_tokens: 200 } });
    expect(r.attention).toEqual([
      expect.stringContaining(
        'E_FLOATING_SNAPSHOT. Fix: give the model a dated tag (`ollama cp llama3.1:8b llama3.1:8b-YYYY-MM-DD`)',
      ),
    ]);
  });

  it('maps an http provider: url, body (a literal model becomes {{snapshot}}), headers from {{env.X}}, transform', async () => {
    const r = await importWith({
      id: 'https://models.example.com/chat',
      config: {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: 'Bearer {{env.MODELS_KEY}}', 'X-Team': 'ml' },
        body: { model: 'acme-chat-2025-01-15', messages: '{{prompt}}' },
        transformResponse: 'json.answer',
      },
    });
    const model = r.files.find((f) => f.path.startsWith('models/'));
    expect(parse(model?.text ?? '')).toMatchObject({
      provider: {
        type: 'http',
        url: 'https://models.example.com/chat',
        headersFromEnv: { Authorization: 'MODELS_KEY' },
        body: { model: '{{snapshot}}', messages: '{{prompt}}' },
        transformResponse: 'json.answer',
      },
      snapshot: 'acme-chat-2025-01-15',
    });
    expect(r.attention.join('\n')).toContain('Switchyard sends the whole value of MODELS_KEY');
    expect(r.attention.join('\n')).toContain('headersFromEnv: { X-Team: <VARIABLE> }');
    expect(r.notes.join('\n')).toContain('{{prompt}} is the chat messages as JSON');
  });
});
