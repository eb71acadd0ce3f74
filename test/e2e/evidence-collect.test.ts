/**
 * Evidence from where an application emits, end to end with the published packages: a fresh
 * directory installs the packed `@switchyard/runtime` and `@switchyard/data` tarballs offline, an
 * app (plain `node`, no TypeScript loader) sends events through the runtime's HTTP sink to
 * `switchyard collect` (a separate process, shared token), and `switchyard analyze experiment`
 * reads them from PostgreSQL. The same app's JSONL file goes through `switchyard ingest`, twice.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanNpmEnv, packAll } from '../../packages/runtime/scripts/dist.ts';
import { dependencyClosure, packInstalled } from '../../packages/runtime/test/helpers/offline-deps.ts';
import { PG_URL, dropSchema, uniqueSchema } from '../../packages/data/test/store/fixtures.ts';
import { needs } from '../helpers/capabilities.ts';

const run = promisify(execFile);
const REPO = join(import.meta.dirname, '..', '..');
const BIN = join(REPO, 'bin', 'switchyard.mjs');
const OFFLINE = cleanNpmEnv({ npm_config_registry: 'http://127.0.0.1:9/', npm_config_offline: 'true' });
const TOKEN = 'e2e-collect-token-0123456789abcdef';
const EXPERIMENT = 'summarization-v1-vs-v2';

const postgres = await needs('postgres');
let work: string;
let app: string;
const schema = uniqueSchema('collect');

beforeAll(async () => {
  if (postgres.skip) return;
  work = await mkdtemp(join(tmpdir(), 'switchyard-collect-e2e-'));
  const tarballs = await packAll(join(work, 'tarballs'));
  const drivers = await packInstalled(
    dependencyClosure(REPO, ['pg', '@electric-sql/pglite', '@electric-sql/pglite-pgvector']),
    join(work, 'drivers'),
    OFFLINE,
  );
  app = join(work, 'app');
  await mkdir(app);
  await writeFile(
    join(app, 'package.json'),
    JSON.stringify({ name: 'app', version: '1.0.0', private: true, type: 'module' }),
  );
  await run(
    'npm',
    [
      'install',
      '--offline',
      '--no-audit',
      '--no-fund',
      '--ignore-scripts',
      '--cache',
      join(work, 'npm-cache'),
      tarballs.runtime,
      tarballs.data,
      ...drivers,
    ],
    { cwd: app, env: OFFLINE },
  );
}, 300_000);

afterAll(async () => {
  if (postgres.skip) return;
  await dropSchema(schema);
  await rm(work, { recursive: true, force: true });
});

/** Starts `switchyard collect` and resolves with its URL once it listens. */
async function startCollect(): Promise<{
  child: ChildProcess;
  url: string;
  output: () => string;
  exit: Promise<number | null>;
}> {
  const child = spawn(
    process.execPath,
    [BIN, 'collect', '--port', '0', '--root', REPO, '--database-url', PG_URL, '--schema', schema],
    {
      env: { ...process.env, SWITCHYARD_COLLECT_TOKEN: TOKEN },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const check = () => {
      const m = /collecting events on (http:\/\/127\.0\.0\.1:\d+\/v1\/events)/.exec(out);
      if (m) resolve(m[1]!);
    };
    child.stdout!.on('data', check);
    void exit.then((code) => reject(new Error(`collect exited ${code} before listening: ${out}`)));
  });
  return { child, url, output: () => out, exit };
}

async function count(table: string): Promise<number> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    return (await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${schema}".${table}`)).rows[0]!.n;
  } finally {
    await client.end();
  }
}

describe.skipIf(postgres.skip)(postgres.title('evidence from the packed packages'), () => {
  it('HTTP sink → switchyard collect → switchyard analyze experiment', async () => {
    const collect = await startCollect();
    const script = `
      import { createHttpSink, createJsonlFileSink } from '@switchyard/runtime';
      const sink = createHttpSink({ url: process.env.COLLECT_URL, token: process.env.COLLECT_TOKEN, batchSize: 100, flushIntervalMs: 20 });
      const jsonl = createJsonlFileSink('events.jsonl', { flushIntervalMs: 10 });
      const t0 = Date.now();
      for (let i = 0; i < 400; i++) {
        const variant = i % 2 ? 'treatment' : 'control';
        const base = { time: t0 + i, serial: 1, env: 'production', subject: 'experiment', key: '${EXPERIMENT}', variant, unitKey: 'agent-' + i };
        sink.write({ type: 'exposure', ...base });
        sink.write({ type: 'metric', ...base, metric: 'agent_satisfaction', value: variant === 'treatment' ? 4 + (i % 3) / 2 : 3 + (i % 3) / 2 });
        if (i < 10) jsonl.write({ type: 'exposure', ...base, key: 'jsonl-exp' });
      }
      await sink.close();
      await jsonl.close();
      console.log(JSON.stringify(sink.stats()));`;
    const sent = await run(process.execPath, ['--input-type=module', '-e', script], {
      cwd: app,
      env: { ...cleanNpmEnv(), COLLECT_URL: collect.url, COLLECT_TOKEN: TOKEN },
    });
    expect(JSON.parse(sent.stdout)).toEqual({ accepted: 800, written: 800, dropped: 0 });

    collect.child.kill('SIGTERM');
    expect(await collect.exit).toBe(0);
    expect(collect.output()).toMatch(/stopped: 800 events in \d+ batches written, 0 requests refused/);

    const { stdout } = await run(process.execPath, [
      BIN,
      'analyze',
      'experiment',
      EXPERIMENT,
      '--root',
      REPO,
      '--database-url',
      PG_URL,
      '--schema',
      schema,
      '--format',
      'json',
    ]);
    const analysis = JSON.parse(stdout) as {
      variants: Array<{ variant: string; exposed: number; n: number; mean: number }>;
    };
    const byVariant = Object.fromEntries(analysis.variants.map((v) => [v.variant, v]));
    expect(byVariant.control).toMatchObject({ exposed: 200, n: 200 });
    expect(byVariant.treatment).toMatchObject({ exposed: 200, n: 200 });
    expect(byVariant.treatment!.mean).toBeGreaterThan(byVariant.control!.mean);

    // The app's JSONL file: loaded once, and a second load stores nothing new.
    const ingest = () =>
      run(process.execPath, [
        BIN,
        'ingest',
        join(app, 'events.jsonl'),
        '--root',
        REPO,
        '--database-url',
        PG_URL,
        '--schema',
        schema,
      ]);
    expect((await ingest()).stdout).toMatch(/ingested 10 events/);
    expect(await count('exposures')).toBe(410);
    await ingest();
    expect(await count('exposures')).toBe(410);
  }, 180_000);
});
