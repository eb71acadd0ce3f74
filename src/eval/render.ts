/**
 * Fills `{{variable}}` placeholders of prompt messages with a test case's or dataset row's vars,
 * with the runtime's own template grammar and renderer (`@switchyard/runtime/bundle`), so a case
 * is evaluated with exactly the text production sends (docs/evaluation.md, "Templates").
 */
import { compileTemplate, renderTemplate } from '@switchyard/runtime/bundle';
import type { ChatMessage, JsonValue } from '../config/types.ts';

export interface Rendered {
  messages: ChatMessage[];
  /** Placeholders that had no value (absent or null; left verbatim, as the runtime leaves them). */
  missing: string[];
}

/** Renders every message; structured values are rendered as JSON, as the runtime renders them. */
export function renderMessages(
  messages: readonly ChatMessage[],
  vars: Readonly<Record<string, JsonValue | undefined>>,
): Rendered {
  const missing: string[] = [];
  const rendered = messages.map((m) => ({
    role: m.role,
    content: renderTemplate(compileTemplate(m.content), vars as Record<string, unknown>, missing),
  }));
  return { messages: rendered, missing: [...missing].sort() };
}

/**
 * Rendered messages as the JSON chat prompt promptfoo's providers parse, with every `{` and `}`
 * inside the text written as a JSON escape (`\u007b`, `\u007d`). promptfoo renders each test
 * variable as a nunjucks template (and substitutes `{{name}}` between variables) before it builds
 * the prompt; text we already rendered must reach the model as it is, so the prompt variable holds
 * no `{{`, `{%` or `{#` for nunjucks to act on, and JSON parsing restores the braces.
 */
export function chatPromptJson(messages: readonly ChatMessage[]): string {
  const escape = (s: string) => JSON.stringify(s).replace(/[{}]/g, (c) => (c === '{' ? '\\u007b' : '\\u007d'));
  return `[${messages.map((m) => `{"role":${escape(m.role)},"content":${escape(m.content)}}`).join(',')}]`;
}
