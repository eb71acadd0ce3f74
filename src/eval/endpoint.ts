/**
 * Where grading, embedding and offline answers come from. With `OPENAI_API_KEY` (and optionally
 * `OPENAI_BASE_URL`) the real `openai` SDK grades and embeds on OpenAI or any compatible server;
 * without one — or with `SWITCHYARD_OFFLINE=1` — the embedded offline model server does. That server
 * (in-process, random 127.0.0.1 port) is always started: each model is live or offline on its own
 * (route-liveness.ts, model-routes.ts), and a model without its key is answered there. Every report
 * says, per model, where answers came from, so nobody mistakes offline results for real ones.
 */
import OpenAI from 'openai';
import type { ModelPin } from '../config/types.ts';
import { startModelServer, type ModelServer } from './offline/server.ts';
import { isRealKey, OFFLINE_API_KEY, offlineReason } from './route-liveness.ts';
import { OFFLINE_LABEL } from './offline-label.ts';

export { OFFLINE_API_KEY };

export interface ModelEndpoint {
  /** Base URL the SDK uses (`…/v1`) for grading and embeddings. */
  baseUrl: string;
  apiKey: string;
  /** True when grading and embeddings come from the embedded offline model server. */
  offline: boolean;
  /** Human-readable origin of grading and embeddings, printed in every report. */
  label: string;
  /** The in-process offline server (its request counters are useful in tests). */
  server: ModelServer | undefined;
  /** Where a model answered offline is sent: the offline server's base URL. */
  offlineBaseUrl: string;
  /** Every model is offline, whatever keys are set (`SWITCHYARD_OFFLINE=1`, or a test's shared server). */
  forceOffline: boolean;
  /**
   * No call of this run can leave the machine: grading and every model the run may call are offline.
   * Only then are promptfoo's proxies blackholed (a live model must reach its server).
   */
  contained: boolean;
  /** The environment the endpoint was chosen from (per-model key variables are read from it). */
  env: NodeJS.ProcessEnv;
  /** Stops the in-process server, if one was started. */
  close(): Promise<void>;
}

export interface EndpointOptions {
  /** Use this running server and answer everything offline (tests share one to count calls). */
  server?: ModelServer;
  /** The models the run may call: decides `contained` (without them, `contained` follows grading). */
  pins?: Iterable<Pick<ModelPin, 'provider'>>;
}

export { OFFLINE_LABEL };

/** The OpenAI API base URL of `env` (`OPENAI_BASE_URL`, else api.openai.com), without a trailing slash. */
export function openaiBaseUrl(env: NodeJS.ProcessEnv): string {
  return (env.OPENAI_BASE_URL || 'https://api.openai.com/v1').replace(/\/+$/, '');
}

/** Opens the endpoint selected by `env` (see module doc). */
export async function openModelEndpoint(env: NodeJS.ProcessEnv, options: EndpointOptions = {}): Promise<ModelEndpoint> {
  const key = env.OPENAI_API_KEY;
  const forceOffline = options.server !== undefined || env.SWITCHYARD_OFFLINE === '1';
  const server = options.server ?? (await startModelServer());
  const owned = options.server === undefined;
  const close = async () => {
    if (owned) await server.close();
  };
  if (!forceOffline && isRealKey(key)) {
    const baseUrl = openaiBaseUrl(env);
    return {
      baseUrl,
      apiKey: key,
      offline: false,
      label: `OpenAI-compatible API at ${baseUrl}`,
      server,
      offlineBaseUrl: server.baseUrl,
      forceOffline,
      contained: false,
      env,
      close,
    };
  }
  return {
    baseUrl: server.baseUrl,
    apiKey: OFFLINE_API_KEY,
    offline: true,
    label: OFFLINE_LABEL,
    server,
    offlineBaseUrl: server.baseUrl,
    forceOffline,
    contained: forceOffline || [...(options.pins ?? [])].every((pin) => offlineReason(pin, env) !== undefined),
    env,
    close,
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
