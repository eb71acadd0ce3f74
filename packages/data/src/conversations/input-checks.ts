/**
 * Checks of what callers hand the repository: every bad input becomes `E_CONVERSATION_INVALID`
 * with the field named, never a crash or a malformed stored record.
 */
import { ConversationError } from './schema.ts';
import type { ConversationMessage } from './types.ts';

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function checkId(id: unknown, what = 'conversation id'): asserts id is string {
  if (typeof id !== 'string' || id === '' || id.length > 512) {
    throw new ConversationError(
      'E_CONVERSATION_INVALID',
      `${what} must be a non-empty string of at most 512 characters`,
    );
  }
}

export function checkIso(value: unknown, field: string): void {
  if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) {
    throw new ConversationError('E_CONVERSATION_INVALID', `${field} must be an ISO 8601 date string`);
  }
}

/** A page size: 100 when not given, else an integer from 1 to 10 000. */
export function checkLimit(limit: number | undefined): number {
  const l = limit ?? 100;
  if (!Number.isInteger(l) || l < 1 || l > 10_000)
    throw new ConversationError('E_CONVERSATION_INVALID', 'limit must be an integer from 1 to 10000');
  return l;
}

/** The `schemaVersion` option: absent, or a positive integer. */
export function checkConfiguredVersion(version: number | undefined): void {
  if (version !== undefined && (!Number.isSafeInteger(version) || version < 1)) {
    throw new ConversationError(
      'E_CONVERSATION_INVALID',
      `schemaVersion must be a positive integer, got ${String(version)}`,
    );
  }
}

/** Checks new messages and fills each one's `model` (the conversation's snapshot) and `timestamp` (`at`). */
export function normalizeMessages(messages: unknown, modelVersion: string, at: string): ConversationMessage[] {
  if (!Array.isArray(messages)) throw new ConversationError('E_CONVERSATION_INVALID', 'messages must be an array');
  return messages.map((m: unknown, i) => {
    if (!isObject(m) || typeof m.role !== 'string' || typeof m.content !== 'string') {
      throw new ConversationError(
        'E_CONVERSATION_INVALID',
        `messages[${i}] must be an object with string role and content`,
      );
    }
    if (m.model !== undefined && typeof m.model !== 'string')
      throw new ConversationError('E_CONVERSATION_INVALID', `messages[${i}].model must be a string`);
    if (m.timestamp !== undefined) checkIso(m.timestamp, `messages[${i}].timestamp`);
    return {
      ...m,
      role: m.role,
      content: m.content,
      model: (m.model as string | undefined) ?? modelVersion,
      timestamp: (m.timestamp as string | undefined) ?? at,
    };
  });
}
