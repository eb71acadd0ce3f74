/**
 * Delivery benchmark, one run, same machine, same files:
 *
 * 1. publish → runtime switched: `switchyard serve` (its own process) and a real runtime client;
 *    N publishes with long-poll, then N with ETag polling (the client's static-host path), each
 *    timed from the start of `publishToDirectory` to the client's change event. p50/p95/max.
 * 2. 304 throughput: `wrk` revalidating the manifest (If-None-Match) against `switchyard serve`
 *    and against nginx (Debian's, `apt-get install -y nginx wrk`) serving the same directory with
 *    its default strong-ish ETag. Skipped, said so, when nginx or wrk is absent.
 *
 *   npm run bench:serve [-- --publishes 50 --poll-ms 1000 --wrk-seconds 10]
 *
 * Prints figures; asserts nothing (targets are judged by people).
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadProject } from '../../src/config/index.ts';
import {
  buildSigned,
  compileBundle,
  generateSigningKey,
  manifestBytes,
  publishToDirectory,
  signManifest,
} from '../../src/bundle/index.ts';
import { createClient } from '@switchyard/runtime';
import { trustedKeysFrom } from '@switchyard/runtime/bundle';

const { values } = parseArgs({
  options: {
    publishes: { type: 'string', default: '50' },
    'poll-ms': { type: 'string', default: '1000' },
    'wrk-seconds': { type: 'string', default: '10' },
  },
});
const N = Number(values.publishes);
const POLL_MS = Number(values['poll-ms']);
const WRK_SECONDS = Number(values['wrk-seconds']);
const COMMIT = 'b'.repeat(40);
const ROOT = process.cwd();

const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-serve-'));
const pub = join(dir, 'pub');
const children: ChildProcess[] = [];
const cleanup = (): void => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
};
process.on('exit', cleanup);

const project = await loadProject(ROOT);
if (!project.value) throw new Error('the demo organisation does not load');
const compiled = compileBundle(project.value, { env: 'production', commit: COMMIT }).value;
if (!compiled) throw new Error('compile failed');
const key = generateSigningKey();
let serial = 0;
async function publishNext(): Promise<void> {
  serial++;
  const now = new Date();
  const signed = buildSigned({
    env: 'production',
    serial,
    commit: COMMIT,
    createdAt: now,
    expires: new Date(now.getTime() + 86_400_000),
    payload: { sha256: compiled!.sha256, length: compiled!.bytes.byteLength },
  });
  const r = await publishToDirectory(pub, manifestBytes(signManifest(signed, [key])), compiled!.bytes);
  if (!r.ok) throw new Error(r.message);
}

/** Starts `switchyard serve` in its own process; resolves with its port. */
function startServe(workers = 1): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [join(ROOT, 'bin/switchyard.mjs'), 'serve', pub, '--port', '0', '--quiet', '--workers', String(workers)],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    children.push(child);
    let out = '';
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
  });
}

const pct = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
const fmt = (v: number): string => (v < 10 ? `${v.toFixed(2)} ms` : `${v.toFixed(0)} ms`);

async function latency(url: string, mode: 'long-poll' | 'etag'): Promise<number[]> {
  const client = createClient({
    source: url,
    env: 'production',
    trustedKeys: trustedKeysFrom([key.publicKey]),
    cacheDir: null,
    longPoll: mode === 'long-poll',
    pollIntervalMs: mode === 'long-poll' ? 30_000 : POLL_MS,
  });
  await client.ready(10_000);
  const samples: number[] = [];
  for (let i = 0; i < N; i++) {
    // Long-poll: give the re-sent poll time to reach the server. ETag: publish at a random phase
    // of the poll cycle, as real publishes are.
    await new Promise((r) => setTimeout(r, mode === 'long-poll' ? 30 : Math.random() * POLL_MS));
    const switched = new Promise<number>((resolve) => {
      const off = client.onChange(() => {
        off();
        resolve(performance.now());
      });
    });
    const t0 = performance.now();
    await publishNext();
    samples.push((await switched) - t0);
  }
  await client.close();
  return samples.sort((a, b) => a - b);
}

function have(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** wrk against `url` with If-None-Match; returns requests/s and the share of 304s. */
function wrk(url: string, etag: string): { rps: number; non304: number } {
  const script = join(dir, 'inm.lua');
  writeFileSync(
    script,
    `wrk.headers["If-None-Match"] = ${JSON.stringify(etag)}\nlocal n = 0\nresponse = function(status) if status ~= 304 then n = n + 1 end end\ndone = function() io.write("non304=" .. n .. "\\n") end\n`,
  );
  const out = execFileSync('wrk', ['-t2', '-c64', `-d${WRK_SECONDS}s`, '-s', script, url], { encoding: 'utf8' });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  // wrk's done() runs per thread-less summary; non-304s also show as "Non-2xx" (304 is non-2xx too), so count via script.
  const non304 = Number(/non304=(\d+)/.exec(out)?.[1] ?? 'NaN');
  return { rps, non304 };
}

function startNginx(): number {
  const port = 18_000 + Math.floor(Math.random() * 2000);
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `worker_processes auto;\npid ${join(dir, 'nginx.pid')};\nerror_log ${join(dir, 'nginx-error.log')};\nevents { worker_connections 1024; }\n` +
      `http { access_log off; sendfile on; keepalive_requests 100000;\n  server { listen 127.0.0.1:${port}; root ${pub}; etag on; }\n}\n`,
  );
  execFileSync('nginx', ['-c', conf, '-p', dir]);
  return port;
}

await publishNext();
const port = await startServe();
const url = `http://127.0.0.1:${port}`;
console.log(
  `publish → runtime switched, ${N} publishes each (demo payload ${compiled.bytes.byteLength} bytes; serve in its own process)`,
);
const lp = await latency(url, 'long-poll');
console.log(
  `  long-poll (serve offers it)          p50 ${fmt(pct(lp, 50))}  p95 ${fmt(pct(lp, 95))}  max ${fmt(lp.at(-1)!)}`,
);
const et = await latency(url, 'etag');
console.log(
  `  ETag polling every ${POLL_MS} ms ±10%     p50 ${fmt(pct(et, 50))}  p95 ${fmt(pct(et, 95))}  max ${fmt(et.at(-1)!)}   (scales with the interval: default 30 s)`,
);

if (!have('wrk') || !have('nginx')) {
  console.log('\n304 throughput: skipped (needs wrk and nginx: apt-get install -y nginx wrk)');
} else {
  const manifestUrl = `${url}/production/manifest.json`;
  const etag = (await fetch(manifestUrl)).headers.get('etag')!;
  const ngPort = startNginx();
  const ngUrl = `http://127.0.0.1:${ngPort}/production/manifest.json`;
  const ngEtag = (await fetch(ngUrl)).headers.get('etag')!;
  console.log(
    `\n304 throughput (wrk -t2 -c64 -d${WRK_SECONDS}s, If-None-Match, ${cpus().length} cores shared with wrk)`,
  );
  const s = wrk(manifestUrl, etag);
  console.log(`  switchyard serve --workers 1       ${s.rps.toFixed(0)} req/s   non-304 answers: ${s.non304}`);
  const port2 = await startServe(cpus().length);
  const s2 = wrk(`http://127.0.0.1:${port2}/production/manifest.json`, etag);
  console.log(
    `  switchyard serve --workers ${cpus().length}       ${s2.rps.toFixed(0)} req/s   non-304 answers: ${s2.non304}`,
  );
  const n = wrk(ngUrl, ngEtag);
  console.log(`  nginx (worker_processes auto)      ${n.rps.toFixed(0)} req/s   non-304 answers: ${n.non304}`);
  console.log(
    `  serve / nginx = ${(s.rps / n.rps).toFixed(2)} (1 worker), ${(s2.rps / n.rps).toFixed(2)} (${cpus().length} workers, as nginx)`,
  );
  if (existsSync(join(dir, 'nginx.pid')))
    execFileSync('nginx', ['-c', join(dir, 'nginx.conf'), '-p', dir, '-s', 'stop']);
}
console.log(`\nnode ${process.version}, ${process.platform}/${process.arch}`);
cleanup();
process.exit(0);
