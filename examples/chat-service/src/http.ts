/**
 * The HTTP edge (node:http): routing, JSON bodies with a size cap, JSON errors with stable codes.
 * Handlers return data; this file alone writes responses. Any error that is not an `ApiError` is
 * logged with its stack and answered as `500 E_INTERNAL` with the request id — never a stack trace;
 * an `ApiError`'s upstream detail (`internal`) is logged, never sent.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { ApiError, fromLibraryError } from './errors.ts';
import type { Logger } from './logger.ts';
import type { Outcome } from './service.ts';

export interface RouteContext {
  params: string[];
  body: Record<string, unknown>;
  requestId: string;
}

export interface Route {
  method: 'GET' | 'POST';
  pattern: RegExp;
  handle(ctx: RouteContext): Promise<Outcome<unknown>> | Outcome<unknown>;
}

export interface HttpOptions {
  routes: Route[];
  log: Logger;
  /** Largest request body accepted (default 1 MiB). */
  maxBodyBytes?: number;
}

export interface HttpServer {
  server: Server;
  /** Requests being handled right now. */
  inFlight(): number;
  /** Refuses new requests with 503 E_SHUTTING_DOWN, stops listening and resolves when in-flight requests are done. */
  drain(timeoutMs: number): Promise<void>;
}

async function readBody(req: IncomingMessage, max: number): Promise<Record<string, unknown>> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > max) throw new ApiError('E_BODY_TOO_LARGE', `the request body exceeds ${max} bytes`);
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return {};
  if (type !== '' && type !== 'application/json') {
    throw new ApiError('E_UNSUPPORTED_MEDIA_TYPE', `send JSON with 'Content-Type: application/json' (got '${type}')`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new ApiError('E_BAD_JSON', 'the request body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new ApiError('E_BAD_JSON', 'the request body must be a JSON object');
  return parsed as Record<string, unknown>;
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  requestId: string,
  extra: Record<string, string> = {},
): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    'cache-control': 'no-store',
    'x-request-id': requestId,
    ...extra,
  });
  res.end(text);
}

export function createHttpServer(options: HttpOptions): HttpServer {
  const max = options.maxBodyBytes ?? 1024 * 1024;
  let active = 0;
  let draining = false;
  let idle: (() => void) | null = null;

  const server = createServer(
    { requestTimeout: 120_000, headersTimeout: 30_000, keepAliveTimeout: 5_000 },
    (req, res) => {
      const requestId = randomUUID();
      if (draining) {
        req.resume();
        send(
          res,
          503,
          { error: { code: 'E_SHUTTING_DOWN', message: 'the service is shutting down; retry on another instance' } },
          requestId,
          { connection: 'close' },
        );
        return;
      }
      active++;
      dispatch(options, max, req, res, requestId)
        .catch((caught: unknown) => sendFailure(options, res, caught, requestId))
        .finally(() => {
          active--;
          if (active === 0 && idle) idle();
        });
    },
  );

  return {
    server,
    inFlight: () => active,
    async drain(timeoutMs) {
      draining = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (active > 0) {
        await Promise.race([
          new Promise<void>((resolve) => {
            idle = resolve;
          }),
          new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref()),
        ]);
      }
      server.closeAllConnections();
      await closed;
    },
  };
}

/** Route one request to its handler and send the outcome; a path or method no route takes throws. */
async function dispatch(
  options: HttpOptions,
  max: number,
  req: IncomingMessage,
  res: ServerResponse,
  requestId: string,
): Promise<void> {
  const path = (req.url ?? '/').split('?', 1)[0] ?? '/';
  let matchedPath = false;
  for (const route of options.routes) {
    const m = route.pattern.exec(path);
    if (!m) continue;
    matchedPath = true;
    if (route.method !== req.method) continue;
    let params: string[];
    try {
      params = m.slice(1).map((p) => decodeURIComponent(p ?? ''));
    } catch {
      throw new ApiError('E_BAD_REQUEST', 'the path is not valid percent-encoding');
    }
    const body = req.method === 'POST' ? await readBody(req, max) : {};
    const outcome = await route.handle({ params, body, requestId });
    send(res, outcome.status ?? 200, outcome.body, requestId);
    // Background work (shadow calls) starts only once the answer is on its way to the client.
    if (outcome.after) {
      try {
        outcome.after();
      } catch (error) {
        options.log.error('background work failed to start', { requestId, error: (error as Error).message });
      }
    }
    return;
  }
  if (matchedPath) {
    const allowed = options.routes.filter((r) => r.pattern.test(path)).map((r) => r.method);
    throw new ApiError(
      'E_METHOD_NOT_ALLOWED',
      `${req.method} is not supported on ${path} (use ${[...new Set(allowed)].join(', ')})`,
    );
  }
  throw new ApiError('E_NOT_FOUND', `no endpoint ${req.method} ${path}; see README.md for the API`);
}

/**
 * Answer a failed request: an ApiError with its code and status (upstream detail logged, never
 * sent), anything else as E_INTERNAL with the request id to quote. A response already started is cut.
 */
function sendFailure(options: HttpOptions, res: ServerResponse, caught: unknown, requestId: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const error = fromLibraryError(caught) ?? caught;
  if (error instanceof ApiError) {
    // Upstream detail goes to the log only; the client gets the generic message and the request id to quote.
    const message = error.internal === undefined ? error.message : `${error.message} (request ${requestId})`;
    const body: Record<string, unknown> = { code: error.code, message };
    if (error.details) body.details = error.details;
    send(res, error.status, { error: body }, requestId);
    if (error.status >= 500 || error.internal !== undefined) {
      options.log.warn('request failed', {
        requestId,
        code: error.code,
        message: error.message,
        ...(error.internal === undefined ? {} : { detail: error.internal }),
      });
    }
    return;
  }
  options.log.error('unexpected error', { requestId, error: (error as Error)?.stack ?? String(error) });
  send(
    res,
    500,
    {
      error: {
        code: 'E_INTERNAL',
        message: `internal error (request ${requestId}); the service log has the details`,
      },
    },
    requestId,
  );
}
