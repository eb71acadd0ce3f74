/**
 * The receiving end of the runtime's HTTP sink (`createHttpSink`): a node:http request handler that
 * checks the shared token, reads a bounded JSON body, checks every event (`validateEvent`) and writes the batch to
 * the event store in one transaction. `(source, seq)` makes a redelivered batch a no-op. Answers:
 * 200 `{ accepted }`; 400 bad body or event; 401 bad token; 404/405 other paths or methods; 413 body
 * too large; 415 not JSON; 503 the store failed (the sink retries). Errors are `{ error: { code, message } }`.
 * `switchyard collect` serves it; an application can mount it in its own server too.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SwitchyardError } from '@switchyard/runtime';
import type { SwitchyardEvent } from './events.ts';
import { validateEvent } from './validate-event.ts';
import type { StampedEvent } from './insert.ts';

export interface CollectorOptions {
  /** Where batches go (an `EventStore`). */
  writeBatch(batch: StampedEvent[]): Promise<unknown>;
  /** The shared token senders present as `authorization: Bearer <token>`. */
  token: string;
  /** Largest request body accepted (default 8 MiB). */
  maxBodyBytes?: number;
  /** Request path (default `/v1/events`). */
  path?: string;
}

export interface CollectorStats {
  batches: number;
  events: number;
  rejected: number;
  lastError?: string;
}

export interface Collector {
  handle(req: IncomingMessage, res: ServerResponse): void;
  stats(): CollectorStats;
}

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/** A request the collector refuses, with the HTTP status to answer. */
class Refusal extends SwitchyardError {
  override name = 'Refusal';
  readonly status: number;
  constructor(status: number, code: string, message: string) {
    super(code, message);
    this.status = status;
  }
}

/** Creates the handler. Throws only for an empty token (a collector anyone can write to is a mistake). */
export function createCollector(options: CollectorOptions): Collector {
  if (typeof options.token !== 'string' || options.token.length < 16)
    throw new TypeError('createCollector: token must be a string of at least 16 characters');
  const expected = digest(`Bearer ${options.token}`);
  const maxBodyBytes = options.maxBodyBytes ?? 8 * 1024 * 1024;
  const path = options.path ?? '/v1/events';
  const stats: CollectorStats = { batches: 0, events: 0, rejected: 0 };

  async function readBody(req: IncomingMessage): Promise<string> {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBodyBytes)
      throw new Refusal(413, 'E_COLLECT_TOO_LARGE', `body of ${declared} bytes exceeds ${maxBodyBytes}`);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBodyBytes) throw new Refusal(413, 'E_COLLECT_TOO_LARGE', `body exceeds ${maxBodyBytes} bytes`);
      chunks.push(chunk);
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  function parseBatch(text: string): StampedEvent[] {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (e) {
      throw new Refusal(400, 'E_COLLECT_BODY', `body is not JSON (${(e as Error).message})`);
    }
    const b = body as { source?: unknown; events?: unknown };
    if (
      typeof body !== 'object' ||
      body === null ||
      typeof b.source !== 'string' ||
      b.source === '' ||
      b.source.length > 200 ||
      !Array.isArray(b.events)
    ) {
      throw new Refusal(
        400,
        'E_COLLECT_BODY',
        'expected { "source": "<1-200 chars>", "events": [{ "seq": <n>, "event": {…} }] }',
      );
    }
    const out: StampedEvent[] = [];
    for (const [i, item] of (b.events as unknown[]).entries()) {
      const { seq, event } = (item ?? {}) as { seq?: unknown; event?: unknown };
      if (!Number.isSafeInteger(seq) || (seq as number) < 0)
        throw new Refusal(400, 'E_COLLECT_EVENT', `events[${i}].seq: expected a non-negative integer`);
      // The store's own door check: a refused event fails the request, so the sender hears of it.
      const refused = validateEvent(event);
      if (refused !== null) throw new Refusal(400, 'E_COLLECT_EVENT', `events[${i}]: ${refused}`);
      out.push({ source: b.source, seq: seq as number, event: event as SwitchyardEvent });
    }
    return out;
  }

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<{ status: number; body: unknown }> {
    const url = new URL(req.url ?? '/', 'http://collector');
    if (url.pathname !== path) throw new Refusal(404, 'E_COLLECT_NOT_FOUND', `POST events to ${path}`);
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      throw new Refusal(405, 'E_COLLECT_METHOD', 'only POST');
    }
    const presented = digest(req.headers.authorization ?? '');
    if (!timingSafeEqual(presented, expected)) {
      res.setHeader('www-authenticate', 'Bearer');
      throw new Refusal(401, 'E_COLLECT_TOKEN', 'missing or wrong bearer token');
    }
    if (!/^application\/json\b/i.test(req.headers['content-type'] ?? ''))
      throw new Refusal(415, 'E_COLLECT_MEDIA_TYPE', 'send application/json');
    const batch = parseBatch(await readBody(req));
    try {
      if (batch.length > 0) await options.writeBatch(batch);
    } catch (e) {
      throw new Refusal(503, 'E_COLLECT_STORE', `the event store did not take the batch: ${(e as Error).message}`);
    }
    stats.batches++;
    stats.events += batch.length;
    return { status: 200, body: { accepted: batch.length } };
  }

  return {
    handle(req, res) {
      serve(req, res).then(
        ({ status, body }) => {
          res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
        },
        (e: unknown) => {
          const r = e instanceof Refusal ? e : new Refusal(500, 'E_COLLECT_INTERNAL', 'internal error');
          stats.rejected++;
          stats.lastError = `${r.code} ${r.message}`;
          // A body left unread would keep the socket busy; a refused upload closes the connection.
          if (!req.complete) res.setHeader('connection', 'close');
          if (!res.headersSent) res.writeHead(r.status, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { code: r.code, message: r.message } }));
        },
      );
    },
    stats: () => ({ ...stats }),
  };
}
