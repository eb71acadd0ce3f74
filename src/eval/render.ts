/** Fills `{{variable}}` placeholders of prompt messages with a test case's or dataset row's vars. */
import type { ChatMessage, JsonValue } from '../config/types.ts';

export interface Rendered {
  messages: ChatMessage[];
  /** Placeholders that had no value (rendered as empty text). */
  missing: string[];
}

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/** Structured values are rendered as JSON, as promptfoo renders an object variable. */
export function renderMessages(
  messages: readonly ChatMessage[],
  vars: Readonly<Record<string, JsonValue | undefined>>,
): Rendered {
  const missing = new Set<string>();
  const rendered = messages.map((m) => ({
    role: m.role,
    content: m.content.replace(PLACEHOLDER, (_all, name: string) => {
      const value = vars[name];
      if (value === undefined) {
        missing.add(name);
        return '';
      }
      return typeof value === 'string' ? value : JSON.stringify(value);
    }),
  }));
  return { messages: rendered, missing: [...missing].sort() };
}
