/**
 * A promptfoo provider (id + config) → a Switchyard model pin's provider, snapshot and parameters
 * (pin types: docs/evaluation.md, "Where models are called"). Pure. What cannot be carried exactly
 * goes to `notes`; what `switchyard validate` would refuse, or what needs a decision, goes to
 * `attention` with the exact fix — never written silently.
 */
import type { HttpProviderConfig, ModelParams, ProviderConfig } from '../config/types.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);

const PARAM_KEYS = ['temperature', 'top_p', 'max_tokens', 'seed', 'presence_penalty', 'frequency_penalty'] as const;

export interface MappedProvider {
  provider: ProviderConfig;
  /** The model name promptfoo sends (may be a floating alias); for http, the body's literal `model`. */
  model: string | undefined;
  params: ModelParams;
  notes: string[];
  /** Header values promptfoo wrote literally or around an `{{env.X}}`: each needs a decision. */
  attention: string[];
}

/** `{{env.NAME}}` / `{{ env.NAME }}` in a promptfoo header value. */
const ENV_REF = /\{\{\s*env\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/;

function paramsOf(config: Obj, known: Set<string>): ModelParams {
  const params: ModelParams = {};
  for (const k of PARAM_KEYS) if (typeof config[k] === 'number') params[k] = config[k];
  for (const k of PARAM_KEYS) known.add(k);
  return params;
}

function httpProvider(url: string, config: Obj, out: MappedProvider): HttpProviderConfig {
  const http: HttpProviderConfig = { type: 'http', url };
  const method = typeof config.method === 'string' ? config.method.toUpperCase() : undefined;
  if (method === 'POST' || method === 'PUT') {
    if (method === 'PUT') http.method = 'PUT';
  } else if (method !== undefined) out.notes.push(`providers: method ${method} not imported (POST or PUT only)`);
  const headersFromEnv: Record<string, string> = {};
  for (const [name, value] of Object.entries(isObj(config.headers) ? config.headers : {})) {
    if (name.toLowerCase() === 'content-type') continue; // always application/json
    const ref = typeof value === 'string' ? ENV_REF.exec(value) : null;
    if (ref?.[1]) {
      headersFromEnv[name] = ref[1];
      if (value !== ref[0])
        out.attention.push(
          `header ${name}: promptfoo sent '${String(value)}'; Switchyard sends the whole value of ${ref[1]} — set ${ref[1]} to the full header value (e.g. including 'Bearer ').`,
        );
    } else {
      out.attention.push(
        `header ${name}: its value is written in the promptfoo config; Switchyard reads header values from the environment only. Fix: add \`headersFromEnv: { ${name}: <VARIABLE> }\` to the provider and set <VARIABLE> (a CI secret).`,
      );
    }
  }
  if (Object.keys(headersFromEnv).length > 0) http.headersFromEnv = headersFromEnv;
  let body: unknown = config.body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      out.notes.push('providers: a non-JSON body template is not imported (Switchyard sends a JSON body)');
      body = undefined;
    }
  }
  if (isObj(body)) {
    let template: Obj = body;
    // A literal model name becomes the pin's snapshot, sent as {{snapshot}}.
    if (typeof template.model === 'string' && !template.model.includes('{{')) {
      out.model = template.model;
      template = { ...template, model: '{{snapshot}}' };
    }
    http.body = template;
    if (/\{\{\s*prompt\s*\}\}/.test(JSON.stringify(template)))
      out.notes.push(
        'providers: in the http body, {{prompt}} is the chat messages as JSON in Switchyard (promptfoo sends the prompt text); check the endpoint accepts it',
      );
  }
  const transform = config.transformResponse;
  if (typeof transform === 'string' && !transform.startsWith('file:')) http.transformResponse = transform;
  else if (transform !== undefined)
    out.notes.push('providers: transformResponse from a file or function not imported (inline expressions only)');
  return http;
}

/** Maps `id` + `config`; undefined for provider ids Switchyard has no pin type for. */
export function mapProvider(id: string, config: Obj): MappedProvider | undefined {
  const out: MappedProvider = { provider: { type: 'openai' }, model: undefined, params: {}, notes: [], attention: [] };
  const known = new Set<string>();
  const baseUrl = typeof config.apiBaseUrl === 'string' ? config.apiBaseUrl : undefined;
  let m: RegExpExecArray | null;
  if ((m = /^anthropic:messages:(.+)$/.exec(id))) {
    out.provider = { type: 'anthropic', ...(baseUrl === undefined ? {} : { baseUrl }) };
    out.model = m[1];
    known.add('apiBaseUrl');
  } else if ((m = /^openai:(?:chat:)?(?!embedding|embeddings|assistant|image|realtime|responses)(.+)$/.exec(id))) {
    out.provider = baseUrl === undefined ? { type: 'openai' } : { type: 'openai-compatible', baseUrl };
    out.model = m[1];
    known.add('apiBaseUrl');
  } else if ((m = /^ollama:(?:chat:|completion:)?(?!embeddings?:)(.+)$/.exec(id))) {
    out.provider = { type: 'ollama' };
    out.model = m[1];
    // Ollama's completion bound is num_predict (docs/evaluation.md maps max_tokens to it).
    if (typeof config.num_predict === 'number') out.params.max_tokens = config.num_predict;
    known.add('num_predict');
  } else if (id === 'http' || id === 'https' || /^https?:\/\//.test(id)) {
    const url = typeof config.url === 'string' ? config.url : /^https?:\/\//.test(id) ? id : undefined;
    if (url === undefined) return undefined;
    out.provider = httpProvider(url, config, out);
    for (const k of ['url', 'method', 'headers', 'body', 'transformResponse']) known.add(k);
  } else {
    return undefined;
  }
  out.params = { ...paramsOf(config, known), ...out.params };
  // The http provider sends its body template: generation parameters have nowhere to go.
  if (out.provider.type === 'http' && Object.keys(out.params).length > 0) {
    out.notes.push(
      `providers: ${Object.keys(out.params).join(', ')} not imported (the http provider sends its body template; put them in the body)`,
    );
    out.params = {};
  }
  for (const k of Object.keys(config)) if (!known.has(k)) out.notes.push(`providers: config.${k} not imported`);
  return out;
}
