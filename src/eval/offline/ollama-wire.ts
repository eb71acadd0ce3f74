/**
 * Ollama wire shapes produced by the offline server (`POST /api/chat`, `POST /api/generate`), as
 * promptfoo's `ollama:chat:*` and `ollama:completion:*` providers read them: newline-delimited JSON
 * objects, streamed by default (Ollama's `stream` defaults to true), the last one `done: true`
 * with the token counts.
 */
import { CREATED } from './wire.ts';

/** Ollama's timestamps, fixed: offline answers do not depend on the clock. */
const CREATED_AT = new Date(CREATED * 1000).toISOString();

export interface OllamaCounts {
  prompt: number;
  completion: number;
}

function final(model: string, counts: OllamaCounts) {
  return {
    model,
    created_at: CREATED_AT,
    done: true,
    done_reason: 'stop',
    total_duration: 0,
    prompt_eval_count: counts.prompt,
    eval_count: counts.completion,
  };
}

/** The NDJSON lines of a reply: word-sized pieces when streaming, else one complete object. */
export function ollamaLines(
  kind: 'chat' | 'generate',
  model: string,
  text: string,
  counts: OllamaCounts,
  stream: boolean,
): string[] {
  const piece = (content: string) =>
    kind === 'chat' ? { message: { role: 'assistant', content } } : { response: content };
  if (!stream) return [`${JSON.stringify({ ...final(model, counts), ...piece(text) })}\n`];
  const pieces = (text.match(/\S+\s*|\s+/g) ?? []).map((p) => ({
    model,
    created_at: CREATED_AT,
    ...piece(p),
    done: false,
  }));
  return [...pieces, { ...final(model, counts), ...piece('') }].map((o) => `${JSON.stringify(o)}\n`);
}
