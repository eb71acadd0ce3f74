/**
 * Anthropic Messages wire shapes produced by the offline server (`POST /v1/messages`), field for
 * field as `@anthropic-ai/sdk` (used by promptfoo's `anthropic:messages:*` provider) parses them.
 */
import type { OfflineMessage } from './model.ts';

/** Text of a Messages `content` (a string or a list of blocks; only text blocks carry text). */
export function blocksText(content: unknown): string | undefined {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return undefined;
  return content
    .map((b: { type?: unknown; text?: unknown }) => (b?.type === 'text' && typeof b.text === 'string' ? b.text : ''))
    .join('');
}

/**
 * The request's conversation as the offline model reads it: the top-level `system` first, then the
 * turns. Undefined when a turn is malformed (the caller answers 400).
 */
export function anthropicMessages(body: Record<string, unknown>): OfflineMessage[] | undefined {
  if (!Array.isArray(body.messages) || body.messages.length === 0) return undefined;
  const out: OfflineMessage[] = [];
  if (body.system !== undefined) {
    const system = blocksText(body.system);
    if (system === undefined) return undefined;
    out.push({ role: 'system', content: system });
  }
  for (const m of body.messages as Array<{ role?: unknown; content?: unknown }>) {
    const text = blocksText(m?.content);
    if ((m?.role !== 'user' && m?.role !== 'assistant') || text === undefined) return undefined;
    out.push({ role: m.role, content: text });
  }
  return out;
}

/** A non-streaming Messages response. */
export function anthropicMessage(id: string, model: string, text: string, inputTokens: number, outputTokens: number) {
  return {
    id,
    type: 'message',
    role: 'assistant',
    model,
    content: [{ type: 'text', text }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: inputTokens, output_tokens: outputTokens },
  };
}

/** Anthropic's error body. */
export function anthropicError(status: number, message: string) {
  const type =
    status === 401
      ? 'authentication_error'
      : status === 404
        ? 'not_found_error'
        : status >= 500
          ? 'api_error'
          : 'invalid_request_error';
  return { type: 'error', error: { type, message } };
}
