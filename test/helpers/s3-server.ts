/**
 * A small local stand-in for S3 on 127.0.0.1, speaking its wire protocol for path-style
 * PutObject/GetObject/HeadObject: SigV4 `Authorization` required (its credential scope must name a
 * known access key id and the `s3` service, else 403 as S3 answers), `x-amz-content-sha256` checked
 * against the body, quoted MD5 ETags, and `If-Match` / `If-None-Match` on PUT honoured with S3's
 * 412 PreconditionFailed XML error. (s3rver ignores the conditional headers, which is why this exists.)
 * The signature itself is not recomputed: the SDK produces it, the double checks its scope.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StoredObject {
  body: Buffer;
  etag: string;
}

export interface S3Double {
  /** The endpoint, e.g. http://127.0.0.1:41234 */
  url: string;
  /** Every request in arrival order: `METHOD key status`. */
  log: string[];
  objects: Map<string, StoredObject>;
  /** Called before a PUT is evaluated (a test uses it to let another publisher win a race). */
  beforePut?: (key: string) => void;
  put(key: string, body: Uint8Array): void;
  close(): Promise<void>;
}

const AUTH =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

function etagOf(body: Buffer): string {
  return `"${createHash('md5').update(body).digest('hex')}"`;
}

function sendError(
  res: ServerResponse,
  method: string,
  status: number,
  code: string,
  message: string,
  extra = '',
): void {
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message>${extra}<RequestId>${randomUUID()}</RequestId><HostId>local</HostId></Error>`;
  res.writeHead(status, { 'content-type': 'application/xml', 'x-amz-request-id': randomUUID() });
  res.end(method === 'HEAD' ? undefined : body);
}

async function readAll(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Starts the double for one bucket and one access key id. */
export async function startS3Double(options: { bucket: string; accessKeyId: string }): Promise<S3Double> {
  const objects = new Map<string, StoredObject>();
  const log: string[] = [];
  const double: S3Double = {
    url: '',
    log,
    objects,
    put(key, body) {
      const buffer = Buffer.from(body);
      objects.set(key, { body: buffer, etag: etagOf(buffer) });
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<number> {
    const method = req.method ?? 'GET';
    const body = await readAll(req);
    const auth = AUTH.exec(req.headers.authorization ?? '');
    if (!auth) {
      sendError(res, method, 403, 'AccessDenied', 'Access Denied');
      return 403;
    }
    if (auth[1] !== options.accessKeyId) {
      sendError(
        res,
        method,
        403,
        'InvalidAccessKeyId',
        'The AWS Access Key Id you provided does not exist in our records.',
      );
      return 403;
    }
    if (
      auth[4] !== 's3' ||
      !auth[5]!.split(';').includes('x-amz-date') ||
      typeof req.headers['x-amz-date'] !== 'string'
    ) {
      sendError(
        res,
        method,
        403,
        'SignatureDoesNotMatch',
        'The request signature we calculated does not match the signature you provided.',
      );
      return 403;
    }
    const claimed = req.headers['x-amz-content-sha256'];
    if (typeof claimed !== 'string') {
      sendError(res, method, 400, 'InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
      return 400;
    }
    if (claimed !== 'UNSIGNED-PAYLOAD' && claimed !== createHash('sha256').update(body).digest('hex')) {
      sendError(
        res,
        method,
        400,
        'XAmzContentSHA256Mismatch',
        'The provided x-amz-content-sha256 header does not match what was computed.',
      );
      return 400;
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    const [, bucket, ...rest] = url.pathname.split('/');
    const key = rest.map(decodeURIComponent).join('/');
    if (decodeURIComponent(bucket ?? '') !== options.bucket) {
      sendError(res, method, 404, 'NoSuchBucket', 'The specified bucket does not exist');
      return 404;
    }
    const stored = objects.get(key);
    if (method === 'GET' || method === 'HEAD') {
      if (!stored) {
        sendError(res, method, 404, 'NoSuchKey', 'The specified key does not exist.');
        return 404;
      }
      res.writeHead(200, {
        etag: stored.etag,
        'content-length': stored.body.byteLength,
        'content-type': 'application/json',
      });
      res.end(method === 'HEAD' ? undefined : stored.body);
      return 200;
    }
    if (method === 'PUT') {
      double.beforePut?.(key);
      const now = objects.get(key);
      const ifMatch = req.headers['if-match'];
      const ifNoneMatch = req.headers['if-none-match'];
      if (ifMatch !== undefined && (!now || ifMatch !== now.etag)) {
        // S3 answers 404 NoSuchKey for If-Match on a missing key; either way nothing is written.
        if (!now) sendError(res, method, 404, 'NoSuchKey', 'The specified key does not exist.');
        else
          sendError(
            res,
            method,
            412,
            'PreconditionFailed',
            'At least one of the pre-conditions you specified did not hold',
            '<Condition>If-Match</Condition>',
          );
        return now ? 412 : 404;
      }
      if (ifNoneMatch === '*' && now) {
        sendError(
          res,
          method,
          412,
          'PreconditionFailed',
          'At least one of the pre-conditions you specified did not hold',
          '<Condition>If-None-Match</Condition>',
        );
        return 412;
      }
      double.put(key, body);
      res.writeHead(200, { etag: objects.get(key)!.etag, 'content-length': 0 });
      res.end();
      return 200;
    }
    sendError(res, method, 405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
    return 405;
  }

  const server = createServer((req, res) => {
    const method = req.method ?? 'GET';
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname).replace(
      `/${options.bucket}/`,
      '',
    );
    handle(req, res).then(
      (status) => log.push(`${method} ${path} ${status}`),
      (error: unknown) => {
        log.push(`${method} ${path} 500`);
        if (!res.headersSent) sendError(res, method, 500, 'InternalError', String(error));
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  double.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return double;
}
