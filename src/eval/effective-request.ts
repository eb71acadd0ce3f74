/**
 * What a model is asked, exactly as the runtime serves it (docs/evaluation.md, "What is sent"):
 * the prompt version's messages rendered with the runtime's template renderer, and its parameters
 * — the model pin's `params` overridden by the version's own, the runtime's `effectiveParams`.
 * Without a prompt (a dataset row with a bare input) the runtime's `resolveModel` answers the pin's
 * own `params`. Eval cases and both sides of a shadow comparison are built with this one function.
 */
import { effectiveParams } from '@switchyard/runtime/bundle';
import type { ChatMessage, JsonValue, ModelParams, ModelPin, PromptVersion } from '../config/types.ts';
import { renderMessages } from './render.ts';

export interface EffectiveRequest {
  messages: ChatMessage[];
  params: ModelParams;
  /** Placeholders without a value (the request must not be sent). */
  missing: string[];
}

/** `version` rendered with `vars`, called with the parameters its pin and itself give. */
export function effectiveRequest(
  pin: Pick<ModelPin, 'params'> | undefined,
  version: Pick<PromptVersion, 'messages' | 'params'>,
  vars: Readonly<Record<string, JsonValue | undefined>>,
): EffectiveRequest {
  const { messages, missing } = renderMessages(version.messages, vars);
  return { messages, params: effectiveParams<ModelParams>(pin?.params, version.params), missing };
}

/** A bare input (no prompt): one user message, with the pin's own parameters. */
export function bareRequest(pin: Pick<ModelPin, 'params'> | undefined, input: string): EffectiveRequest {
  return { messages: [{ role: 'user', content: input }], params: { ...pin?.params }, missing: [] };
}
