import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from '../parse-args.ts';
import { stampJsonlEvents } from '@switchyard/data';
import { UsageError, type Command } from '../command.ts';
import { DATABASE_OPTIONS, DATABASE_USAGE, databaseSelection, openStoreFor } from '../database-options.ts';

const usage = `Usage: switchyard ingest <file.jsonl | -> [options]

Loads runtime events written as JSON Lines (createJsonlFileSink) into the event store, where
\`switchyard analyze\` reads them. Idempotent: an event's identity is its line's content, so loading
a file again (or a longer version of it) stores nothing twice. Every line is checked first; with
any bad line nothing is written (the lines are listed).

Options:
${DATABASE_USAGE}
  --root <dir>           project root (default: current directory)

Exit codes: 0 loaded, 1 bad lines or store problem, 2 usage error.`;

/** Reads all of stdin (for `-`). */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

export const command: Command = {
  name: 'ingest',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { ...DATABASE_OPTIONS, root: { type: 'string' } },
    });
    if (positionals.length !== 1) throw new UsageError('expected one <file.jsonl> or - for stdin');
    const database = databaseSelection(values, io);
    const root = resolve(io.cwd, values.root ?? '.');
    const input = positionals[0]!;
    let text: string;
    try {
      text = input === '-' ? await readStdin() : await readFile(resolve(io.cwd, input), 'utf8');
    } catch (error) {
      io.stderr(`switchyard ingest: E_INGEST_READ cannot read ${input}: ${(error as Error).message}`);
      return 1;
    }
    const { events, problems } = stampJsonlEvents(text.split('\n'));
    if (problems.length > 0) {
      const where = input === '-' ? 'stdin' : input;
      for (const p of problems.slice(0, 20)) io.stderr(`${where}:${p.line}: E_INGEST_EVENT ${p.message}`);
      if (problems.length > 20) io.stderr(`… and ${problems.length - 20} more bad lines`);
      io.stderr(`switchyard ingest: nothing written (${problems.length} bad line${problems.length === 1 ? '' : 's'})`);
      return 1;
    }
    const store = await openStoreFor('ingest', root, database, io);
    if (store === null) return 1;
    try {
      for (let i = 0; i < events.length; i += 5000) await store.writeBatch(events.slice(i, i + 5000));
    } catch (error) {
      io.stderr(`switchyard ingest: E_STORE_WRITE ${(error as Error).message}`);
      return 1;
    } finally {
      await store.close();
    }
    io.stdout(
      `ingested ${events.length} events into ${store.backend} (schema ${store.schema}); events already stored were skipped`,
    );
    return 0;
  },
};
