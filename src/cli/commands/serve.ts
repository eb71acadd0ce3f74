import cluster from 'node:cluster';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from '../parse-args.ts';
import { createBundleServer, listen } from '../../bundle/index.ts';
import { UsageError, type Command } from '../command.ts';

const usage = `Usage: switchyard serve <dir> [--port 8080] [--host 127.0.0.1] [--workers 1] [--max-connections-per-client 64] [--quiet]

Serves a publish target over HTTP for runtimes to poll:
  GET/HEAD /<env>/manifest.json              Cache-Control: no-cache, strong ETag, If-None-Match → 304
  GET/HEAD /<env>/payload/<sha256>.json      Cache-Control: public, max-age=31536000, immutable
  GET/HEAD /keys.json                        the root-signed keys document (trust root), no-cache + ETag
  GET      /healthz                          {"status":"ok"}
A manifest GET with If-None-Match and "Prefer: wait=<s>" is held until a publish (long-poll, at most
30 s); runtimes use it when offered and fall back to ETag polling on static hosts.
  --workers <n>                     processes sharing the port (one per core serves the most 304s)
  --max-connections-per-client <n>  open sockets per remote address (default 64)
Anything else is 404 (400 for escaped or dot-segment paths, 405 for other methods). Stops on SIGINT/SIGTERM.

Exit status: 0 stopped, 1 cannot listen, 2 usage error.`;

export const command: Command = {
  name: 'serve',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        port: { type: 'string', default: '8080' },
        host: { type: 'string', default: '127.0.0.1' },
        quiet: { type: 'boolean', default: false },
        workers: { type: 'string', default: '1' },
        'max-connections-per-client': { type: 'string', default: '64' },
      },
    });
    if (positionals.length !== 1) throw new UsageError('expected one <dir>');
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port must be 0..65535');
    const dir = resolve(io.cwd, positionals[0]!);
    if (!(await stat(dir).catch(() => undefined))?.isDirectory())
      throw new UsageError(`not a directory: ${positionals[0]}`);
    const workers = Number(values.workers);
    if (!Number.isInteger(workers) || workers < 1 || workers > 64) throw new UsageError('--workers must be 1..64');
    const perClient = Number(values['max-connections-per-client']);
    if (!Number.isInteger(perClient) || perClient < 1)
      throw new UsageError('--max-connections-per-client must be a positive integer');
    if (workers > 1 && cluster.isPrimary) return runPrimary(workers, dir, values.host, io);
    // A log reader that goes away (`serve … | head`) must not take the server down: on EPIPE the
    // per-request log stops, serving goes on.
    let logging = !values.quiet;
    if (logging) {
      process.stdout.on('error', (error: NodeJS.ErrnoException) => {
        if (error.code !== 'EPIPE') throw error;
        logging = false;
      });
    }
    const log = values.quiet
      ? undefined
      : (e: { method: string; path: string; status: number; bytes: number }) => {
          if (logging) io.stdout(`${e.method} ${e.path} ${e.status} ${e.bytes}`);
        };
    const server = createBundleServer(dir, { maxConnectionsPerClient: perClient, ...(log ? { log } : {}) });
    let bound: number;
    try {
      bound = await listen(server, port, values.host);
    } catch (error) {
      io.stderr(`✖ cannot listen on ${values.host}:${port}: ${(error as Error).message}`);
      return 1;
    }
    if (cluster.isWorker) {
      // The primary reports the address; a worker lives until the primary stops it.
      await new Promise<void>((done) => process.once('disconnect', () => server.close(() => done())));
      return 0;
    }
    io.stdout(`serving ${dir} on http://${values.host}:${bound}/ (Ctrl-C to stop)`);
    await new Promise<void>((done) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        server.close(() => done());
        server.closeAllConnections();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    io.stdout('stopped');
    return 0;
  },
};

/**
 * Several processes on one port (node:cluster, the kernel spreads connections: SCHED_NONE). Each
 * worker keeps its own manifest cache and long-poll waiters; all read the same directory.
 */
async function runPrimary(
  workers: number,
  dir: string,
  host: string,
  io: Parameters<Command['run']>[1],
): Promise<number> {
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  const port = await new Promise<number>((resolve, reject) => {
    for (let i = 0; i < workers; i++) cluster.fork();
    cluster.once('listening', (_worker, address) => resolve(address.port));
    cluster.once('exit', (_worker, code) => reject(new Error(`a worker exited with ${code} before listening`)));
  }).catch((error: Error) => {
    io.stderr(`✖ cannot serve: ${error.message}`);
    return -1;
  });
  if (port < 0) return 1;
  io.stdout(`serving ${dir} on http://${host}:${port}/ with ${workers} workers (Ctrl-C to stop)`);
  await new Promise<void>((done) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      cluster.disconnect(() => done());
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  io.stdout('stopped');
  return 0;
}
