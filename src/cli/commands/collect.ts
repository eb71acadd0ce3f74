import { createServer } from 'node:http';
import { resolve } from 'node:path';
import { parseArgs } from '../parse-args.ts';
import { createCollector } from '@switchyard/data';
import { UsageError, type Command } from '../command.ts';
import { DATABASE_OPTIONS, DATABASE_USAGE, databaseSelection, openStoreFor } from '../database-options.ts';

const usage = `Usage: switchyard collect --port <n> [options]

Receives runtime events over HTTP from the runtime's HTTP sink (createHttpSink) and writes them to
the event store, where \`switchyard analyze\` reads them:
  POST /v1/events   authorization: Bearer <token>   { "source": …, "events": [{ "seq": n, "event": {…} }] }
A batch is written in one transaction; redelivered events are stored once. Stops on SIGINT/SIGTERM.

Options:
  --port <n>             port (0: any free one; the URL is printed)
  --host <addr>          interface (default 127.0.0.1)
  --token-env <name>     environment variable holding the shared token (default SWITCHYARD_COLLECT_TOKEN;
                         at least 16 characters; never passed on the command line)
  --max-body-bytes <n>   largest request accepted (default 8388608)
${DATABASE_USAGE}
  --root <dir>           project root (default: current directory)

Exit codes: 0 stopped, 1 cannot open the store or listen, 2 usage error.`;

export const command: Command = {
  name: 'collect',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        port: { type: 'string' },
        host: { type: 'string', default: '127.0.0.1' },
        'token-env': { type: 'string', default: 'SWITCHYARD_COLLECT_TOKEN' },
        'max-body-bytes': { type: 'string' },
        ...DATABASE_OPTIONS,
        root: { type: 'string' },
      },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument: ${positionals[0]}`);
    if (values.port === undefined) throw new UsageError('--port is required (0 for any free port)');
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port must be 0..65535');
    const maxBodyBytes = values['max-body-bytes'] === undefined ? undefined : Number(values['max-body-bytes']);
    if (maxBodyBytes !== undefined && !(Number.isInteger(maxBodyBytes) && maxBodyBytes >= 1024))
      throw new UsageError('--max-body-bytes must be an integer ≥ 1024');
    const tokenVar = values['token-env'];
    const token = io.env[tokenVar];
    if (!token || token.length < 16)
      throw new UsageError(`set ${tokenVar} to the shared token (at least 16 characters)`);
    const database = databaseSelection(values, io);
    const root = resolve(io.cwd, values.root ?? '.');

    const store = await openStoreFor('collect', root, database, io);
    if (store === null) return 1;
    const collector = createCollector({ writeBatch: (batch) => store.writeBatch(batch), token, maxBodyBytes });
    const server = createServer((req, res) => collector.handle(req, res));
    const bound = await new Promise<number | Error>((done) => {
      server.once('error', (e) => done(e));
      server.listen(port, values.host, () => {
        const a = server.address();
        done(typeof a === 'object' && a ? a.port : port);
      });
    });
    if (bound instanceof Error) {
      io.stderr(`switchyard collect: E_LISTEN cannot listen on ${values.host}:${port}: ${bound.message}`);
      await store.close();
      return 1;
    }
    const host = values.host.includes(':') ? `[${values.host}]` : values.host;
    io.stdout(
      `collecting events on http://${host}:${bound}/v1/events into ${store.backend} (schema ${store.schema}); Ctrl-C to stop`,
    );
    await new Promise<void>((done) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        server.close(() => done());
        server.closeIdleConnections();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    await store.close();
    const s = collector.stats();
    io.stdout(`stopped: ${s.events} events in ${s.batches} batches written, ${s.rejected} requests refused`);
    return 0;
  },
};
