/**
 * The embedded offline model server: a real HTTP server on 127.0.0.1 speaking the parts of the
 * OpenAI API Switchyard uses (`POST /v1/chat/completions` with and without `stream`, `POST
 * /v1/embeddings` with float and base64 encoding, `GET /v1/models`), with OpenAI-shaped errors,
 * and the chat wires of the other provider types a model pin can declare (docs/evaluation.md):
 * Anthropic Messages (`POST /v1/messages`) and Ollama (`POST /api/chat`, `POST /api/generate`),
 * each with its own error shape. Every wire answers with the same deterministic offline model.
 * It counts every request (per path too) so tests can prove where calls went, and that a cached
 * run made none.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SwitchyardError } from '../../errors/index.ts';
import { EMBEDDING_MODELS, embed, toBase64 } from './embeddings.ts';
import { generateReply, type OfflineMessage } from './model.ts';
import { anthropicError, anthropicMessage, anthropicMessages } from './anthropic-wire.ts';
import { ollamaLines } from './ollama-wire.ts';
import { approxTokens } from './text.ts';
import { chatChunks, chatCompletion, CREATED, openAiError, responseId, type OpenAiError } from './wire.ts';

/** Chat snapshots listed by `GET /v1/models`; chat requests accept any model name. */
export const LISTED_CHAT_MODELS = [
  'gpt-4o-2024-05-13',
  'gpt-4o-2024-08-06',
  'gpt-4o-2024-11-20',
  'gpt-4o-mini-2024-07-18',
];

const MAX_BODY = 4 * 1024 * 1024;

export interface ModelServerStats {
  /** Every request received, including failed ones. */
  requests: number;
  /** Chat requests on every wire (OpenAI, Anthropic Messages, Ollama chat and generate). */
  chat: number;
  embeddings: number;
  models: number;
  errors: number;
  /** Successful chat/embedding calls per model name. */
  byModel: Record<string, number>;
  /** Every request per `METHOD /path` (e.g. `POST /v1/messages`), including failed ones. */
  byPath: Record<string, number>;
}

export interface ModelServer {
  /** Base URL including `/v1`, e.g. `http://127.0.0.1:41234/v1` (what the SDK's `baseURL` takes). */
  baseUrl: string;
  /** The server's root, e.g. `http://127.0.0.1:41234` (Anthropic's and Ollama's base URL: no `/v1`). */
  origin: string;
  port: number;
  stats: ModelServerStats;
  /** Zeroes the counters. */
  resetStats(): void;
  /**
   * Makes the next `count` chat completions fail with an OpenAI-shaped error of `status` (500 by
   * default), as a flaky provider would; later requests are answered again. For retry tests.
   */
  failNextChats(count: number, status?: number): void;
  /**
   * Chat request bodies as received (every wire), in arrival order, when started with `record`;
   * empty otherwise. Tests read what a provider really sent (messages, temperature, max_tokens…).
   */
  readonly recorded: readonly RecordedChat[];
  close(): Promise<void>;
}

/** One recorded chat request. */
export interface RecordedChat {
  /** e.g. `/v1/chat/completions`, `/v1/messages`, `/api/chat`. */
  path: string;
  body: Record<string, unknown>;
}

export interface ModelServerOptions {
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** Interface to bind; 127.0.0.1 unless told otherwise. */
  host?: string;
  /** Keep every chat request body in `recorded` (tests; unbounded, so never in a long-lived server). */
  record?: boolean;
}

function emptyStats(): ModelServerStats {
  return { requests: 0, chat: 0, embeddings: 0, models: 0, errors: 0, byModel: {}, byPath: {} };
}

class RequestError extends SwitchyardError {
  readonly failure: OpenAiError;
  constructor(failure: OpenAiError) {
    super('E_OFFLINE_REQUEST', failure.body.error.message);
    this.failure = failure;
  }
}

function fail(status: number, message: string, code: string | null, param: string | null = null): never {
  throw new RequestError(openAiError(status, message, code, param));
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) fail(413, `Request body exceeds ${MAX_BODY} bytes.`, 'request_too_large');
    chunks.push(chunk as Buffer);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    fail(400, 'We could not parse the JSON body of your request.', 'invalid_json');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    fail(400, 'The request body must be a JSON object.', 'invalid_json');
  }
  return parsed as Record<string, unknown>;
}

function messageText(content: unknown, index: number): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part: { type?: unknown; text?: unknown }) =>
        part?.type === 'text' && typeof part.text === 'string' ? part.text : '',
      )
      .join('');
  }
  if (content === null || content === undefined) return '';
  return fail(400, `Invalid type for 'messages[${index}].content'.`, 'invalid_type', `messages[${index}].content`);
}

function parseMessages(value: unknown): OfflineMessage[] {
  if (!Array.isArray(value) || value.length === 0) {
    fail(400, "'messages' must be a non-empty array.", 'invalid_value', 'messages');
  }
  return value.map((m: { role?: unknown; content?: unknown }, i) => {
    if (typeof m?.role !== 'string')
      fail(
        400,
        `Missing required parameter: 'messages[${i}].role'.`,
        'missing_required_parameter',
        `messages[${i}].role`,
      );
    return { role: m.role, content: messageText(m.content, i) };
  });
}

/** The wire a path belongs to: errors are answered in that wire's shape. */
type Wire = 'openai' | 'anthropic' | 'ollama';

function wireOf(path: string): Wire {
  return path === '/v1/messages' ? 'anthropic' : path.startsWith('/api/') ? 'ollama' : 'openai';
}

function errorBody(wire: Wire, failure: OpenAiError): unknown {
  const message = failure.body.error.message;
  if (wire === 'anthropic') return anthropicError(failure.status, message);
  if (wire === 'ollama') return { error: message };
  return failure.body;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-switchyard-offline': '1',
  });
  res.end(text);
}

/**
 * What the handlers of one server share: its counters (replaced by `resetStats`) and the
 * failures `failNextChats` injected.
 */
interface ServerState {
  stats: ModelServerStats;
  failing: { count: number; status: number };
  /** Chat bodies kept when the server was started with `record`; undefined otherwise. */
  recorded: RecordedChat[] | undefined;
}

function count(state: ServerState, model: string): void {
  state.stats.byModel[model] = (state.stats.byModel[model] ?? 0) + 1;
}

/** Reads a chat request of any wire and applies an injected failure, if one is pending. */
async function chatBody(state: ServerState, req: IncomingMessage): Promise<Record<string, unknown>> {
  state.stats.chat++;
  const body = await readJson(req);
  state.recorded?.push({ path: (req.url ?? '/').split('?')[0] ?? '/', body });
  if (state.failing.count > 0) {
    state.failing.count--;
    fail(
      state.failing.status,
      'The offline model server was told to fail this request (injected failure).',
      'server_error',
    );
  }
  if (typeof body.model !== 'string' || body.model === '')
    fail(400, "Missing required parameter: 'model'.", 'missing_required_parameter', 'model');
  return body;
}

async function chat(state: ServerState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await chatBody(state, req);
  const model = body.model as string;
  const messages = parseMessages(body.messages);
  if (body.n !== undefined && body.n !== 1)
    fail(400, 'The offline model server only supports n=1.', 'unsupported_value', 'n');
  const content = generateReply(model, messages);
  const promptTokens = messages.reduce((n, m) => n + approxTokens(m.content) + 4, 0);
  const completionTokens = approxTokens(content);
  const usage = {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
  };
  const id = responseId('chatcmpl', `${model}|${JSON.stringify(messages)}`);
  count(state, model);
  if (body.stream === true) {
    const options = body.stream_options as { include_usage?: boolean } | undefined;
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-switchyard-offline': '1',
    });
    for (const event of chatChunks(id, model, content, options?.include_usage ? usage : undefined)) res.write(event);
    res.end();
    return;
  }
  send(res, 200, chatCompletion(id, model, content, usage));
}

/** Anthropic Messages (`POST /v1/messages`), non-streaming, as promptfoo's anthropic provider calls it. */
async function anthropic(state: ServerState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await chatBody(state, req);
  const model = body.model as string;
  if (typeof body.max_tokens !== 'number')
    fail(400, 'max_tokens: Field required', 'missing_required_parameter', 'max_tokens');
  if (body.stream === true) fail(400, 'The offline model server does not stream Messages.', 'unsupported_value');
  const messages = anthropicMessages(body);
  if (!messages) fail(400, 'messages: each turn needs role user or assistant and text content', 'invalid_value');
  const text = generateReply(model, messages);
  const input = messages.reduce((n, m) => n + approxTokens(m.content) + 4, 0);
  count(state, model);
  send(
    res,
    200,
    anthropicMessage(responseId('msg', `${model}|${JSON.stringify(messages)}`), model, text, input, approxTokens(text)),
  );
}

/** Ollama `POST /api/chat` and `POST /api/generate` (NDJSON, streamed unless `stream: false`). */
async function ollama(
  state: ServerState,
  kind: 'chat' | 'generate',
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const body = await chatBody(state, req);
  const model = body.model as string;
  let messages: OfflineMessage[];
  if (kind === 'chat') messages = parseMessages(body.messages);
  else {
    if (typeof body.prompt !== 'string')
      fail(400, "Missing required parameter: 'prompt'.", 'missing_required_parameter');
    messages = [
      ...(typeof body.system === 'string' ? [{ role: 'system', content: body.system }] : []),
      { role: 'user', content: body.prompt },
    ];
  }
  const text = generateReply(model, messages);
  const counts = {
    prompt: messages.reduce((n, m) => n + approxTokens(m.content) + 4, 0),
    completion: approxTokens(text),
  };
  count(state, model);
  const lines = ollamaLines(kind, model, text, counts, body.stream !== false);
  res.writeHead(200, { 'content-type': 'application/x-ndjson', 'x-switchyard-offline': '1' });
  for (const line of lines) res.write(line);
  res.end();
}

async function embeddings(state: ServerState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  state.stats.embeddings++;
  const body = await readJson(req);
  const model = body.model;
  if (typeof model !== 'string' || model === '')
    fail(400, "Missing required parameter: 'model'.", 'missing_required_parameter', 'model');
  const native = EMBEDDING_MODELS[model];
  if (native === undefined)
    fail(404, `The model '${model}' does not exist or you do not have access to it.`, 'model_not_found', 'model');
  let dimension = native;
  if (body.dimensions !== undefined) {
    if (model === 'text-embedding-ada-002')
      fail(400, 'This model does not support specifying dimensions.', 'invalid_value', 'dimensions');
    if (
      typeof body.dimensions !== 'number' ||
      !Number.isInteger(body.dimensions) ||
      body.dimensions < 1 ||
      body.dimensions > native
    ) {
      fail(400, `'dimensions' must be an integer between 1 and ${native}.`, 'invalid_value', 'dimensions');
    }
    dimension = body.dimensions;
  }
  const inputs = typeof body.input === 'string' ? [body.input] : body.input;
  if (!Array.isArray(inputs) || inputs.length === 0 || !inputs.every((x) => typeof x === 'string')) {
    fail(400, "'input' must be a string or a non-empty array of strings.", 'invalid_value', 'input');
  }
  const format = body.encoding_format ?? 'float';
  if (format !== 'float' && format !== 'base64')
    fail(400, "'encoding_format' must be 'float' or 'base64'.", 'invalid_value', 'encoding_format');
  const data = (inputs as string[]).map((text, index) => {
    const vector = embed(text, model, dimension);
    return { object: 'embedding', index, embedding: format === 'base64' ? toBase64(vector) : vector };
  });
  const tokens = (inputs as string[]).reduce((n, t) => n + approxTokens(t), 0);
  count(state, model);
  send(res, 200, { object: 'list', data, model, usage: { prompt_tokens: tokens, total_tokens: tokens } });
}

function models(state: ServerState, res: ServerResponse, id: string | undefined): void {
  state.stats.models++;
  const all = [...LISTED_CHAT_MODELS, ...Object.keys(EMBEDDING_MODELS)].map((m) => ({
    id: m,
    object: 'model',
    created: CREATED,
    owned_by: 'switchyard-offline',
  }));
  if (id === undefined) return send(res, 200, { object: 'list', data: all });
  const found = all.find((m) => m.id === id);
  if (!found)
    fail(404, `The model '${id}' does not exist or you do not have access to it.`, 'model_not_found', 'model');
  send(res, 200, found);
}

/** Routes one request to its wire's handler; a failure is answered in that wire's error shape. */
function handleRequest(state: ServerState, req: IncomingMessage, res: ServerResponse): void {
  state.stats.requests++;
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  const key = `${req.method ?? 'GET'} ${path}`;
  state.stats.byPath[key] = (state.stats.byPath[key] ?? 0) + 1;
  const route = async (): Promise<void> => {
    if (req.method === 'POST' && path === '/v1/chat/completions') return chat(state, req, res);
    if (req.method === 'POST' && path === '/v1/messages') return anthropic(state, req, res);
    if (req.method === 'POST' && path === '/api/chat') return ollama(state, 'chat', req, res);
    if (req.method === 'POST' && path === '/api/generate') return ollama(state, 'generate', req, res);
    if (req.method === 'POST' && path === '/v1/embeddings') return embeddings(state, req, res);
    if (req.method === 'GET' && path === '/v1/models') return models(state, res, undefined);
    if (req.method === 'GET' && path.startsWith('/v1/models/'))
      return models(state, res, decodeURIComponent(path.slice('/v1/models/'.length)));
    fail(404, `Unknown request URL: ${req.method} ${path}.`, 'unknown_url');
  };
  route().catch((error: unknown) => {
    state.stats.errors++;
    const failure =
      error instanceof RequestError
        ? error.failure
        : openAiError(500, `Offline model server error: ${(error as Error).message}`, 'server_error');
    if (res.headersSent) res.end();
    else send(res, failure.status, errorBody(wireOf(path), failure));
  });
}

/** Starts the offline model server. Resolves once it is listening. */
export async function startModelServer(options: ModelServerOptions = {}): Promise<ModelServer> {
  const recorded: RecordedChat[] = [];
  const state: ServerState = {
    stats: emptyStats(),
    failing: { count: 0, status: 500 },
    recorded: options.record ? recorded : undefined,
  };
  const server = createServer((req, res) => handleRequest(state, req, res));
  server.keepAliveTimeout = 1000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    baseUrl: `http://${host}:${address.port}/v1`,
    origin: `http://${host}:${address.port}`,
    port: address.port,
    get stats() {
      return state.stats;
    },
    recorded,
    resetStats() {
      state.stats = emptyStats();
      recorded.length = 0;
    },
    failNextChats(count, status = 500) {
      state.failing = { count, status };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
