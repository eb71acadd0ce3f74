/**
 * OpenAI wire-protocol shapes produced by the offline server: chat completions, streaming chunks
 * and error bodies, field for field as the `openai` SDK parses them.
 */
import { hash32 } from './text.ts';

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** A stable id derived from the request, so identical requests get identical responses. */
export function responseId(prefix: string, seed: string): string {
  return `${prefix}-offline${hash32(seed).toString(16).padStart(8, '0')}`;
}

/** A fixed `created` timestamp: offline answers do not depend on the clock. */
export const CREATED = 1_700_000_000;

/** The response has no system fingerprint of OpenAI's; this one names the snapshot's style. */
export function fingerprint(model: string): string {
  return `fp_offline_${hash32(model).toString(16).padStart(8, '0')}`;
}

export function chatCompletion(id: string, model: string, content: string, usage: Usage) {
  return {
    id,
    object: 'chat.completion',
    created: CREATED,
    model,
    system_fingerprint: fingerprint(model),
    choices: [
      { index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: 'stop' },
    ],
    usage,
  };
}

/** Splits `content` into word-sized deltas, framed as SSE `data:` events ending with `[DONE]`. */
export function chatChunks(id: string, model: string, content: string, usage: Usage | undefined): string[] {
  const base = { id, object: 'chat.completion.chunk', created: CREATED, model, system_fingerprint: fingerprint(model) };
  const events: unknown[] = [
    {
      ...base,
      choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }],
    },
  ];
  for (const piece of content.match(/\S+\s*|\s+/g) ?? []) {
    events.push({ ...base, choices: [{ index: 0, delta: { content: piece }, logprobs: null, finish_reason: null }] });
  }
  events.push({ ...base, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }] });
  if (usage) events.push({ ...base, choices: [], usage });
  return [...events.map((e) => `data: ${JSON.stringify(e)}\n\n`), 'data: [DONE]\n\n'];
}

export interface OpenAiError {
  status: number;
  body: { error: { message: string; type: string; param: string | null; code: string | null } };
}

export function openAiError(
  status: number,
  message: string,
  code: string | null,
  param: string | null = null,
): OpenAiError {
  const type = status === 401 ? 'authentication_error' : status >= 500 ? 'server_error' : 'invalid_request_error';
  return { status, body: { error: { message, type, param, code } } };
}
