/**
 * Loads promptfoo with its phone-home switched off. promptfoo reads these variables when its
 * modules are first evaluated, so they are set on `process.env` BEFORE the dynamic import — a
 * static import would run first and leak the update check, telemetry and beacon (see
 * docs/evaluation.md and the notes they come from).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type * as Promptfoo from 'promptfoo';
import type { ModelEndpoint } from './endpoint.ts';

export type PromptfooModule = typeof Promptfoo;

/** The environment switches for a run whose state lives under `<root>/.switchyard/`. */
export function promptfooEnv(root: string, endpoint: ModelEndpoint): Record<string, string> {
  const env: Record<string, string> = {
    PROMPTFOO_CONFIG_DIR: join(root, '.switchyard', 'promptfoo'),
    PROMPTFOO_CACHE_PATH: join(root, '.switchyard', 'promptfoo-cache'),
    PROMPTFOO_DISABLE_TELEMETRY: '1',
    PROMPTFOO_DISABLE_UPDATE: '1',
    PROMPTFOO_DISABLE_SHARING: '1',
    PROMPTFOO_DISABLE_REMOTE_GENERATION: '1',
    PROMPTFOO_DISABLE_RUNTIME_WARNINGS: '1',
    NODE_NO_WARNINGS: '1',
    // promptfoo logs "Starting evaluation <id>" and "Running N test cases…" at info level into our
    // output; its warnings and errors still show. LOG_LEVEL=debug set by the user is kept.
    LOG_LEVEL: process.env.LOG_LEVEL === 'debug' ? 'debug' : 'warn',
  };
  if (endpoint.offline) {
    // promptfoo probes for cloud credentials when no key is set; our own provider never reads these.
    env.OPENAI_API_KEY = endpoint.apiKey;
    env.OPENAI_BASE_URL = endpoint.baseUrl;
  }
  if (endpoint.contained) {
    // Blackholes the one beacon that ignores the telemetry switch; loopback stays direct. Only when
    // nothing may leave the machine: a live model (its own key set, or Ollama) must reach its server.
    env.HTTPS_PROXY = 'http://127.0.0.1:9';
    env.HTTP_PROXY = 'http://127.0.0.1:9';
    env.NO_PROXY = '127.0.0.1,localhost';
  }
  return env;
}

let loaded: Promise<PromptfooModule> | undefined;

/**
 * Sets the switches and imports promptfoo once per process. The first caller's state directory
 * wins: promptfoo keeps its configuration in module state after import.
 */
export function loadPromptfoo(root: string, endpoint: ModelEndpoint): Promise<PromptfooModule> {
  if (loaded) return loaded;
  const env = promptfooEnv(root, endpoint);
  mkdirSync(env.PROMPTFOO_CONFIG_DIR ?? '', { recursive: true });
  for (const [name, value] of Object.entries(env)) process.env[name] = value;
  loaded = import('promptfoo');
  return loaded;
}
