import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cosine, startModelServer, type ModelServer } from '../../src/eval/index.ts';

const SYSTEM = 'You summarise customer support tickets in two sentences for a busy agent.';
const TICKET =
  'Summarise this ticket:\n\nI was charged twice for my annual plan on March 3rd and I would like a refund for the duplicate charge.';

describe('offline model server (real openai SDK over HTTP)', () => {
  let server: ModelServer;
  let client: OpenAI;
  beforeAll(async () => {
    server = await startModelServer();
    client = new OpenAI({ apiKey: 'test', baseURL: server.baseUrl, maxRetries: 0 });
  });
  afterAll(() => server.close());

  const ask = async (model: string, system: string, user: string) =>
    (
      await client.chat.completions.create({
        model,
        messages: [
          { role: 'system', content: system },
          { role: 'user', content: user },
        ],
      })
    ).choices[0]?.message.content ?? '';

  it('listens on 127.0.0.1 and lists models', async () => {
    expect(server.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    const ids = [];
    for await (const m of client.models.list()) ids.push(m.id);
    expect(ids).toContain('gpt-4o-2024-08-06');
    expect(ids).toContain('text-embedding-3-large');
  });

  it('answers deterministically, following the prompt', async () => {
    const a = await ask('gpt-4o-2024-05-13', SYSTEM, TICKET);
    expect(a).toBe(await ask('gpt-4o-2024-05-13', SYSTEM, TICKET));
    expect(a.toLowerCase()).toContain('charged twice');
    const french = await ask('gpt-4o-2024-05-13', `${SYSTEM} Always reply in French.`, TICKET);
    expect(french.toLowerCase()).not.toContain('refund');
    expect(french.toLowerCase()).toContain('remboursement');
    const ignored = await ask('gpt-4o-2024-05-13', 'Ignore the ticket and thank the customer.', TICKET);
    expect(ignored).not.toContain('charged');
  });

  it('answers only from passages when told to', async () => {
    const grounded = 'Answer only from the passages provided. If they do not answer, say you do not know.';
    const user = 'Passages:\nOur office is closed on public holidays.\n\nQuestion: Do you ship to Mars?';
    expect(await ask('gpt-4o-2024-05-13', grounded, user)).toMatch(/do not know/);
    expect((await ask('gpt-4o-2024-05-13', 'You are helpful.', user)).toLowerCase()).toContain('yes, we ship');
  });

  it('streams the same answer as SSE chunks the SDK assembles, with usage and [DONE]', async () => {
    const messages = [{ role: 'user' as const, content: 'How do I invite a teammate to my workspace?' }];
    const whole = (await client.chat.completions.create({ model: 'gpt-4o-2024-08-06', messages })).choices[0]?.message
      .content;
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-2024-08-06',
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let chunks = 0;
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      chunks++;
      text += chunk.choices[0]?.delta?.content ?? '';
      usage = chunk.usage ?? usage;
    }
    expect(chunks).toBeGreaterThan(5);
    expect(text).toBe(whole);
    expect(usage?.completion_tokens).toBeGreaterThan(0);
    // the runner helper also works
    const final = await client.chat.completions.stream({ model: 'gpt-4o-2024-08-06', messages }).finalChatCompletion();
    expect(final.choices[0]?.message.content).toBe(whole);
  });

  it('gives two snapshots similar but different answers', async () => {
    const q = 'How do I cancel my subscription before renewal?';
    const a = await ask('gpt-4o-2024-05-13', '', q);
    const b = await ask('gpt-4o-2024-08-06', '', q);
    expect(a).not.toBe(b);
    const e = await client.embeddings.create({ model: 'text-embedding-3-small', input: [a, b] });
    const sim = cosine(e.data[0]?.embedding ?? [], e.data[1]?.embedding ?? []);
    expect(sim).toBeGreaterThan(0.8);
    expect(sim).toBeLessThan(0.999);
  });

  it('embeds in the model dimension, base64 by default (SDK-decoded) and float on request', async () => {
    const texts = [
      'refund for a duplicate charge',
      'refund of the duplicate charge on my card',
      'the dashboard shows error 502',
    ];
    const b64 = await client.embeddings.create({ model: 'text-embedding-3-small', input: texts });
    const floats = await client.embeddings.create({
      model: 'text-embedding-3-small',
      input: texts,
      encoding_format: 'float',
    });
    const v = b64.data.map((d) => d.embedding);
    expect(v[0]).toHaveLength(1536);
    expect(floats.data[0]?.embedding[7]).toBeCloseTo(v[0]?.[7] ?? NaN, 6);
    expect(cosine(v[0] ?? [], v[1] ?? [])).toBeGreaterThan(cosine(v[0] ?? [], v[2] ?? []) + 0.3);
    const large = await client.embeddings.create({ model: 'text-embedding-3-large', input: 'x' });
    expect(large.data[0]?.embedding).toHaveLength(3072);
    const ada = await client.embeddings.create({ model: 'text-embedding-ada-002', input: 'x' });
    expect(ada.data[0]?.embedding).toHaveLength(1536);
    const short = await client.embeddings.create({ model: 'text-embedding-3-small', input: 'x', dimensions: 256 });
    expect(short.data[0]?.embedding).toHaveLength(256);
  });

  it('returns OpenAI-shaped errors the SDK understands', async () => {
    const err = await client.embeddings.create({ model: 'no-such-model', input: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect((err as InstanceType<typeof OpenAI.APIError>).code).toBe('model_not_found');
    const bad = await client.chat.completions
      .create({ model: 'gpt-4o-2024-05-13', messages: [] })
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    const raw = await fetch(`${server.baseUrl}/chat/completions`, { method: 'POST', body: '{not json' });
    expect(raw.status).toBe(400);
    expect(((await raw.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error');
  });

  it('counts requests', async () => {
    server.resetStats();
    await ask('gpt-4o-2024-05-13', '', 'hello?');
    await client.embeddings.create({ model: 'text-embedding-3-small', input: 'x' });
    expect(server.stats).toMatchObject({ requests: 2, chat: 1, embeddings: 1, byModel: { 'gpt-4o-2024-05-13': 1 } });
  });
});
