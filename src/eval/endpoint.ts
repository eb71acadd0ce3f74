/**
 * Where model calls go. With `OPENAI_API_KEY` (and optionally `OPENAI_BASE_URL`) the real `openai`
 * SDK talks to OpenAI or any compatible server; without one — or with `SWITCHYARD_OFFLINE=1` — the
 * embedded offline model server is started in-process on a random 127.0.0.1 port and the same SDK
 * is pointed at it. Every report carries `offline` so nobody mistakes offline results for real ones.
 */
import OpenAI from 'openai';
import { startModelServer, type ModelServer } from './offline/server.ts';

export interface ModelEndpoint {
  /** Base URL the SDK uses (`…/v1`). */
  baseUrl: string;
  apiKey: string;
  /** True when answers come from the embedded offline model server. */
  offline: boolean;
  /** Human-readable origin of the answers, printed in every report. */
  label: string;
  /** The in-process server when offline (its request counters are useful in tests). */
  server: ModelServer | undefined;
  /** The environment the endpoint was chosen from (per-model key variables are read from it). */
  env: NodeJS.ProcessEnv;
  /** Stops the in-process server, if one was started. */
  close(): Promise<void>;
}

/** The API key offline runs put in the environment (promptfoo wants one); never treated as a real key. */
export const OFFLINE_API_KEY = 'switchyard-offline';

export interface EndpointOptions {
  /** Use this running server instead of starting one (tests share one to count calls). */
  server?: ModelServer;
}

/** Opens the endpoint selected by `env` (see module doc). */
export async function openModelEndpoint(env: NodeJS.ProcessEnv, options: EndpointOptions = {}): Promise<ModelEndpoint> {
  const key = env.OPENAI_API_KEY;
  if (options.server === undefined && key && key !== OFFLINE_API_KEY && env.SWITCHYARD_OFFLINE !== '1') {
    const baseUrl = (env.OPENAI_BASE_URL ?? 'https://api.openai.com/v1').replace(/\/+$/, '');
    return {
      baseUrl,
      apiKey: key,
      offline: false,
      label: `OpenAI-compatible API at ${baseUrl}`,
      server: undefined,
      env,
      close: async () => {},
    };
  }
  const server = options.server ?? (await startModelServer());
  const owned = options.server === undefined;
  return {
    baseUrl: server.baseUrl,
    apiKey: OFFLINE_API_KEY,
    offline: true,
    label: 'Switchyard offline model server (deterministic test double on 127.0.0.1, not a real model)',
    server,
    env,
    close: async () => {
      if (owned) await server.close();
    },
  };
}

/** An `openai` SDK client for the endpoint (or a model's route). Retries only when talking to a real service. */
export function createClient(endpoint: Pick<ModelEndpoint, 'apiKey' | 'baseUrl' | 'offline'>): OpenAI {
  return new OpenAI({
    apiKey: endpoint.apiKey,
    baseURL: endpoint.baseUrl,
    maxRetries: endpoint.offline ? 0 : 2,
    timeout: endpoint.offline ? 30_000 : 120_000,
  });
}
