import { parseArgs } from '../parse-args.ts';
import { UsageError, type Command } from '../command.ts';
import { startModelServer } from '../../eval/index.ts';

const usage = `Usage: switchyard model-server [--port <n>] [--host <addr>]

Starts the offline model server (OpenAI wire protocol: /v1/chat/completions with and without
streaming, /v1/embeddings, /v1/models) on 127.0.0.1. Deterministic test double, not a real model.
Point any OpenAI SDK at it: OPENAI_BASE_URL=http://127.0.0.1:<port>/v1 OPENAI_API_KEY=anything.
Stops on SIGINT/SIGTERM.`;

export const command: Command = {
  name: 'model-server',
  usage,
  async run(argv, io) {
    const { values } = parseArgs({
      args: argv,
      options: { port: { type: 'string' }, host: { type: 'string' } },
      allowPositionals: false,
    });
    const port = values.port === undefined ? 0 : Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new UsageError('--port must be an integer from 0 to 65535');
    let server;
    try {
      server = await startModelServer({ port, host: values.host ?? '127.0.0.1' });
    } catch (error) {
      io.stderr(`model-server: cannot listen: ${(error as Error).message}`);
      return 1;
    }
    io.stdout(`model-server: listening on ${server.baseUrl} (offline, deterministic)`);
    io.stdout(
      `model-server: Anthropic Messages and Ollama wires at ${server.origin} (an anthropic/ollama pin's baseUrl)`,
    );
    const running = server;
    await new Promise<void>((done) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        void running.close().then(done);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    io.stdout(`model-server: stopped after ${running.stats.requests} requests`);
    return 0;
  },
};
