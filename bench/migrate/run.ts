/**
 * bench:migrate — re-embedding throughput of the embedding backfill runner for N documents
 * (default 100,000) on embedded PGlite (pgvector) and on the machine's PostgreSQL (real[] without
 * pgvector), through the real openai SDK to the offline model server on 127.0.0.1 (its own
 * process). Each backend runs in its own process so its peak RSS is its own.
 *
 *   npm run bench:migrate -- [--docs 100000] [--dimension 256] [--batch-size 200] [--concurrency 4]
 *                            [--backends pglite,postgres] [--database-url postgres://…]
 *
 *   npm run bench:migrate -- --conversations [--records 100000] [--batch-size 500] [--backends …]
 *     the conversation schema migration instead (conversations.ts).
 *
 * The dimension is a flag: 100k × 3072 float32 is ~1.2 GB of vectors (and several times that as
 * SQL text on the way in); 256 (text-embedding-3-large with `dimensions: 256`) is the default and
 * is printed with the figures.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    docs: { type: 'string', default: '100000' },
    dimension: { type: 'string', default: '256' },
    'batch-size': { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '4' },
    backends: { type: 'string', default: 'pglite,postgres' },
    'database-url': {
      type: 'string',
      default: process.env.SWITCHYARD_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    },
    conversations: { type: 'boolean', default: false },
    records: { type: 'string', default: '100000' },
  },
});

if (values.conversations) {
  // The conversation schema migration: no embeddings, so no model server.
  const { conversationBench } = await import('./conversations.ts');
  const table = await conversationBench({
    records: Number(values.records),
    batchSize: process.argv.includes('--batch-size') ? values['batch-size'] : undefined,
    backends: values.backends!.split(',').map((b) => b.trim()),
    databaseUrl: values['database-url']!,
  });
  process.stdout.write(`${table}\n`);
} else {
  await embeddingBench();
}

async function embeddingBench(): Promise<void> {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const bin = fileURLToPath(new URL('../../bin/switchyard.mjs', import.meta.url));

  // The embeddings API: the offline model server in its own process, like a remote service.
  const server = spawn(process.execPath, [bin, 'model-server', '--port', '0'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const baseUrl = await new Promise<string>((resolve, reject) => {
    let out = '';
    server.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    server.once('exit', (code) => reject(new Error(`model server exited (${code})`)));
  });

  function serverPeakRssMb(): number {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${server.pid}/status`, 'utf8'));
      return m ? Number(m[1]) / 1024 : NaN;
    } catch {
      return NaN;
    }
  }

  interface Result {
    backend: string;
    vectorType: string;
    docs: number;
    dimension: number;
    batchSize: number;
    concurrency: number;
    seedMs: number;
    wallMs: number;
    docsPerSec: number;
    batches: number;
    requests: number;
    retries: number;
    indexBytes: number;
    searchMs: number;
    peakRssMb: number;
  }

  function runBackend(backend: string): Promise<Result> {
    return new Promise((resolve, reject) => {
      const child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          fileURLToPath(new URL('./backend.ts', import.meta.url)),
          '--backend',
          backend,
          '--docs',
          values.docs!,
          '--dimension',
          values.dimension!,
          '--batch-size',
          values['batch-size']!,
          '--concurrency',
          values.concurrency!,
          '--base-url',
          baseUrl,
          '--database-url',
          values['database-url']!,
        ],
        { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
      );
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      child.on('exit', (code) =>
        code === 0
          ? resolve(JSON.parse(out.trim().split('\n').at(-1)!) as Result)
          : reject(new Error(`${backend} run failed (exit ${code})`)),
      );
    });
  }

  const results: Result[] = [];
  let serverRss = NaN;
  try {
    for (const backend of values.backends!.split(',')) {
      process.stderr.write(`bench:migrate: ${backend}, ${values.docs} documents, dimension ${values.dimension}…\n`);
      results.push(await runBackend(backend.trim()));
    }
    serverRss = serverPeakRssMb();
  } finally {
    server.kill('SIGTERM');
  }

  const mb = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MB`;
  const lines = [
    `bench:migrate — re-embedding ${Number(values.docs).toLocaleString('en-US')} documents, text-embedding-3-large at dimension ${values.dimension} (\`dimensions\` sent), batch ${values['batch-size']}, concurrency ${values.concurrency}`,
    'embeddings: openai SDK → offline model server on 127.0.0.1 (separate process; deterministic test double, not a real model)',
    '',
    '| backend | vectors | docs/s | wall | batches | requests | seed (not timed) | index size | exact top-10 search | peak RSS (runner) |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...results.map(
      (r) =>
        `| ${r.backend} | ${r.vectorType} | ${Math.round(r.docsPerSec).toLocaleString('en-US')} | ${(r.wallMs / 1000).toFixed(1)} s | ${r.batches} | ${r.requests} | ${(r.seedMs / 1000).toFixed(1)} s | ${mb(r.indexBytes)} | ${r.searchMs.toFixed(0)} ms | ${r.peakRssMb.toFixed(0)} MB |`,
    ),
    '',
    `model server peak RSS: ${serverRss.toFixed(0)} MB; machine: ${(await import('node:os')).cpus().length} cores, Node ${process.version}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
