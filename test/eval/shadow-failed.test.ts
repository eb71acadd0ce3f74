import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runShadow } from '../../src/eval/index.ts';
import type { ModelEndpoint } from '../../src/eval/endpoint.ts';
import type { ShadowPlan } from '../../src/eval/shadow-plan.ts';

// A real OpenAI-wire server on 127.0.0.1 that refuses (400, not retried) any chat whose input says FAIL.
let server: Server;
let baseUrl = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const json = JSON.parse(body) as { model: string; messages?: { content: string }[]; encoding_format?: string };
      res.setHeader('content-type', 'application/json');
      if (req.url === '/v1/chat/completions') {
        if (json.messages?.some((m) => m.content.includes('FAIL'))) {
          res.statusCode = 400;
          res.end(JSON.stringify({ error: { message: 'refused', type: 'invalid_request_error' } }));
          return;
        }
        res.end(
          JSON.stringify({
            id: 'c',
            object: 'chat.completion',
            created: 0,
            model: json.model,
            choices: [{ index: 0, message: { role: 'assistant', content: 'same answer' }, finish_reason: 'stop' }],
          }),
        );
        return;
      }
      const vector = [1, 0];
      const embedding =
        json.encoding_format === 'base64' ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector;
      res.end(
        JSON.stringify({
          object: 'list',
          model: json.model,
          usage: { prompt_tokens: 1, total_tokens: 1 },
          data: [0, 1].map((index) => ({ object: 'embedding', index, embedding })),
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const row = (rowId: string, input: string) => ({
  rowId,
  input,
  base: { messages: [{ role: 'user' as const, content: input }], params: {} },
  head: { messages: [{ role: 'user' as const, content: input }], params: {} },
});

describe('runShadow failed rows', () => {
  it('counts rows whose calls failed apart from the scored pairs', async () => {
    const endpoint: ModelEndpoint = {
      baseUrl,
      apiKey: 'k',
      offline: true,
      label: 'test server',
      server: undefined,
      offlineBaseUrl: baseUrl,
      forceOffline: true,
      contained: true,
      env: {},
      close: async () => {},
    };
    const plan: ShadowPlan = {
      id: 'pin:chat',
      kind: 'model-pin',
      title: 'chat',
      dataset: 'd',
      base: { label: 'a', snapshot: 'a' },
      head: { label: 'b', snapshot: 'b' },
      gate: { minAvgSimilarity: 0.9, minMinSimilarity: 0.7 },
      blocking: false,
      problems: [],
      requests: [row('r1', 'hello'), row('r2', 'FAIL me'), row('r3', 'hi'), row('r4', 'FAIL too')],
    };
    const run = await runShadow({ plans: [plan], endpoint, baseRef: null, concurrency: 2 });
    const c = run.comparisons[0];
    expect(c?.count).toBe(2);
    expect(c?.failed).toBe(2);
    expect(c?.problems.filter((p) => p.startsWith('row r2:') || p.startsWith('row r4:'))).toHaveLength(2);
    expect(c?.passed).toBe(false);
  });
});
