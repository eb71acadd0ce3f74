import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from '../parse-args.ts';
import { createBundleServer, listen } from '../../bundle/index.ts';
import { UsageError, type Command } from '../command.ts';

const usage = `Usage: switchyard serve <dir> [--port 8080] [--host 127.0.0.1] [--quiet]

Serves a publish target over HTTP for runtimes to poll:
  GET/HEAD /<env>/manifest.json              Cache-Control: no-cache, strong ETag, If-None-Match → 304
  GET/HEAD /<env>/payload/<sha256>.json      Cache-Control: public, max-age=31536000, immutable
  GET      /healthz                          {"status":"ok"}
Anything else is 404 (400 for escaped or dot-segment paths, 405 for other methods). Stops on SIGINT/SIGTERM.

Exit status: 0 stopped, 1 cannot listen, 2 usage error.`;

export const command: Command = {
  name: 'serve',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { port: { type: 'string', default: '8080' }, host: { type: 'string', default: '127.0.0.1' }, quiet: { type: 'boolean', default: false } },
    });
    if (positionals.length !== 1) throw new UsageError('expected one <dir>');
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port must be 0..65535');
    const dir = resolve(io.cwd, positionals[0]!);
    if (!(await stat(dir).catch(() => undefined))?.isDirectory()) throw new UsageError(`not a directory: ${positionals[0]}`);
    const server = createBundleServer(dir, values.quiet ? {} : { log: (e) => io.stdout(`${e.method} ${e.path} ${e.status} ${e.bytes}`) });
    let bound: number;
    try {
      bound = await listen(server, port, values.host);
    } catch (error) {
      io.stderr(`✖ cannot listen on ${values.host}:${port}: ${(error as Error).message}`);
      return 1;
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
