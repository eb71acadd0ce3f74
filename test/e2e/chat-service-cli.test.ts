/**
 * The chat service's command line: `npm run chat-service` starts it on the embedded defaults as one
 * command (a real child process: offline model server, demo config signed with an ephemeral key and
 * served on 127.0.0.1, PGlite on disk), Ctrl-C (SIGINT to the process group) shuts it down cleanly
 * with events flushed, `switchyard analyze` reads the evidence it left, a restart finds the conversations. In-process: a published bundle source with
 * the service's own trusted keys (accepted) or another key (refused), and usage errors.
 *
 * Deadlines are the e2e tier's (180 s, vitest.config.ts): under load on the shared 2-core machine
 * the second test (two PGlite start-ups and a compile in this process) took 59 s, the first 53 s.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli } from '../../examples/chat-service/src/cli.ts';
import { BundlePublisher } from '../../examples/chat-service/demo/demo-bundle.ts';
import { demoKit } from '../../examples/chat-service/demo/kit.ts';
import { generateSigningKey, trustedKeysDocument } from '../../src/bundle/keys.ts';
import { call, waitFor } from './chat-service-harness.ts';

interface Running {
  child: ChildProcess;
  url: string;
  stdout: () => string;
  /** Exit code of the spawned process. */
  exit: Promise<number | null>;
  /** Resolves when every process holding the output pipes (npm, its shell, the service) has ended. */
  closed: Promise<void>;
}

/**
 * Starts the service in its own process group (as a terminal runs it): `npm run chat-service -- <args>`,
 * or with `direct` the script's own command (`node --import tsx examples/chat-service/demo/main.ts`),
 * as a process manager would run it so that its signals reach the service.
 */
async function start(args: string[], direct = false): Promise<Running> {
  const [cmd, cmdArgs] = direct
    ? [process.execPath, ['--import', 'tsx', 'examples/chat-service/demo/main.ts', ...args]]
    : ['npm', ['run', '--silent', 'chat-service', '--', ...args]];
  const child = spawn(cmd, cmdArgs, {
    cwd: REPO_ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, OPENAI_API_KEY: '' },
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const url = await Promise.race([
    // The whole three-line banner: the lines are separate writes and may arrive in separate chunks.
    waitFor(
      'the listen banner',
      () =>
        /\n {2}try: curl/.test(out)
          ? /chat-service listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1]
          : undefined,
      // A hang-catcher, as for the README examples' start: a cold first start (initdb on disk, the
      // corpus indexed) took 37 s under load on the shared 2-core machine.
      120_000,
    ),
    exit.then((code) => {
      throw new Error(`chat-service exited ${code} before listening\n${out}\n${err}`);
    }),
  ]);
  return { child, url, stdout: () => out, exit, closed };
}

const run = promisify(execFile);

/** Ctrl-C: SIGINT to the whole process group (npm, its shell and the service). */
function interrupt(r: Running): void {
  process.kill(-r.child.pid!, 'SIGINT');
}

describe('chat service command line', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'chat-service-cli-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('starts with one command on the embedded defaults, stops cleanly on Ctrl-C, leaves evidence `switchyard analyze` reads, and keeps conversations across a restart', async () => {
    const script = (
      JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
    ).scripts['chat-service'];
    // Node runs the service itself (tsx only as its loader): the `tsx` command would stand between the
    // signal and the service, and SIGKILLs it when it does not acknowledge a relayed signal in 30 ms.
    expect(script).toBe('node --import tsx examples/chat-service/demo/main.ts');

    // A project of its own (a copy of the demo config), its embedded database where `switchyard analyze` looks.
    const root = join(dir, 'project');
    for (const path of ['switchyard.yaml', 'prompts', 'models', 'experiments', 'rollouts', 'datasets'])
      await cp(join(REPO_ROOT, path), join(root, path), { recursive: true });
    const dataDir = join(root, '.switchyard', 'data', 'events');
    const first = await start(['--port', '0', '--root', root, '--data-dir', dataDir]);
    expect(first.stdout()).toMatch(
      /config: demo config \(ephemeral key\) served at http:\/\/127\.0\.0\.1:\d+, env production, serial \d+; offline model server http:\/\/127\.0\.0\.1:\d+\/v1; PGlite in /,
    );
    expect((await call(first.url, 'GET', '/healthz')).body).toEqual({ status: 'ok' });
    const status = await call<{
      ready: boolean;
      models: { offline: boolean };
      bundle: { stale: boolean; lastError: unknown };
    }>(first.url, 'GET', '/status');
    expect(status.body).toMatchObject({
      ready: true,
      models: { offline: true },
      bundle: { stale: false, lastError: null },
    });
    // Demo mode indexes the help-centre corpus into the empty database, through the service's own write path.
    expect(first.stdout()).toMatch(/indexed 14 demo help-centre documents/);
    const found = await call<{ hits: Array<{ id: string }> }>(first.url, 'POST', '/search', {
      userId: 'cli-user',
      query: 'How long does a refund take to reach my card?',
    });
    expect(found.status).toBe(200);
    expect(found.body.hits[0]?.id).toBe('kb-refund-timing');
    const created = await call<{ conversation: { id: string; modelVersion: string } }>(
      first.url,
      'POST',
      '/conversations',
      { userId: 'cli-user' },
    );
    expect(created.status).toBe(201);
    const turn = await call<{ reply: { model: string } }>(
      first.url,
      'POST',
      `/conversations/${created.body.conversation.id}/messages`,
      { content: 'How do I reset my password?' },
    );
    expect(turn.status).toBe(200);

    // Production enrols 20 % of users in the summarization experiment; every summary gets feedback.
    const enrolled: Record<string, number> = {};
    for (let i = 0; i < 60; i++) {
      const s = await call<{ requestId: string; prompt: { variant: string | null } }>(first.url, 'POST', '/summaries', {
        userId: `agent-${i}`,
        ticket: 'The password reset email never arrives. I checked spam.',
      });
      expect(s.status).toBe(200);
      if (s.body.prompt.variant) enrolled[s.body.prompt.variant] = (enrolled[s.body.prompt.variant] ?? 0) + 1;
      await call(first.url, 'POST', '/feedback', {
        requestId: s.body.requestId,
        metric: 'agent_satisfaction',
        value: 4,
      });
    }
    expect(Object.values(enrolled).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);

    interrupt(first);
    await first.closed;
    // Graceful: every event accepted (exposures, metrics) was flushed to the database before exit.
    const stopped = /chat-service stopped \(events written (\d+), dropped (\d+)\)/.exec(first.stdout());
    expect(stopped).not.toBeNull();
    expect(Number(stopped![1])).toBeGreaterThanOrEqual(1);
    expect(Number(stopped![2])).toBe(0);

    // The CLI's analysis reads what the service wrote.
    const { stdout } = await run(
      process.execPath,
      [
        join(REPO_ROOT, 'bin', 'switchyard.mjs'),
        'analyze',
        'experiment',
        'summarization-v1-vs-v2',
        '--root',
        root,
        '--format',
        'json',
      ],
      { env: { ...process.env, SWITCHYARD_DATABASE_URL: '' } },
    );
    const analysis = JSON.parse(stdout) as {
      variants: Array<{ variant: string; exposed: number; n: number; mean: number }>;
    };
    for (const v of analysis.variants) {
      expect(v.exposed, v.variant).toBe(enrolled[v.variant] ?? 0);
      expect(v.n).toBe(enrolled[v.variant] ?? 0);
      if (v.n > 0) expect(v.mean).toBe(4);
    }

    // The database lock was released; the conversation is still there, on its snapshot.
    const second = await start(['--port', '0', '--root', root, '--data-dir', dataDir], true);
    const again = await call<{ conversation: { id: string; modelVersion: string; messages: unknown[] } }>(
      second.url,
      'GET',
      `/conversations/${created.body.conversation.id}`,
    );
    expect(again.status).toBe(200);
    expect(again.body.conversation.modelVersion).toBe(created.body.conversation.modelVersion);
    expect(again.body.conversation.messages).toHaveLength(2);
    // The corpus is indexed once: the second start finds documents and leaves them alone.
    expect(second.stdout()).not.toMatch(/demo help-centre documents/);
    // SIGTERM to the service's process only (what a process manager sends): a clean stop, exit code 0.
    second.child.kill('SIGTERM');
    expect(await second.exit).toBe(0);
    await second.closed;
    expect(second.stdout()).toMatch(/chat-service stopped \(events written \d+, dropped 0\)/);
  });

  it('polls a published bundle with its own trusted keys, and refuses to start on bundles signed by anyone else', async () => {
    const key = generateSigningKey();
    const publisher = await BundlePublisher.open({ root: REPO_ROOT, dir: join(dir, 'published'), key });
    await publisher.publish();
    const good = join(dir, 'trusted-keys.json');
    const other = join(dir, 'other-keys.json');
    await writeFile(good, trustedKeysDocument([{ key: key.publicKey }]));
    await writeFile(other, trustedKeysDocument([{ key: generateSigningKey().publicKey }]));

    const lines: string[] = [];
    const io = { stdout: (l: string) => lines.push(l), stderr: (l: string) => lines.push(l) };
    const signals = new EventEmitter();
    const running = runCli(
      [
        '--bundle-url',
        join(dir, 'published'),
        '--trusted-keys',
        good,
        '--cache-dir',
        join(dir, 'cache-good'),
        '--in-memory',
        '--port',
        '0',
        '--offline',
      ],
      {},
      io,
      signals,
      demoKit,
    );
    const url = await waitFor(
      'the listen line',
      () => lines.map((l) => /listening on (\S+)/.exec(l)?.[1]).find(Boolean),
      120_000,
    );
    const status = await call<{ bundle: { serial: number; source: string } }>(url, 'GET', '/status');
    expect(status.body.bundle).toMatchObject({ serial: 1, source: 'directory' });
    signals.emit('SIGTERM');
    expect(await running).toBe(0);

    const refused: string[] = [];
    const code = await runCli(
      [
        '--bundle-url',
        join(dir, 'published'),
        '--trusted-keys',
        other,
        '--cache-dir',
        join(dir, 'cache-other'),
        '--in-memory',
        '--port',
        '0',
        '--offline',
        '--ready-timeout-ms',
        '1500',
      ],
      {},
      { stdout: (l) => refused.push(l), stderr: (l) => refused.push(l) },
      new EventEmitter(),
      demoKit,
    );
    expect(code).toBe(1);
    expect(refused.join('\n')).toMatch(/chat-service: E_SIGNATURE_\w+ no verified config bundle/);
  });

  it('rejects bad flags with a usage error', async () => {
    for (const argv of [
      ['--bundle-url', 'http://127.0.0.1:1'],
      ['--port', '-1'],
      ['--in-memory', '--data-dir', 'x'],
      ['--database-url', 'postgres://x', '--in-memory'],
      ['--nope'],
    ]) {
      const out: string[] = [];
      const code = await runCli(argv, {}, { stdout: (l) => out.push(l), stderr: (l) => out.push(l) });
      expect(code, argv.join(' ')).toBe(2);
      expect(out.join('\n')).toMatch(/^chat-service: E_USAGE /);
    }
    const help: string[] = [];
    expect(await runCli(['--help'], {}, { stdout: (l) => help.push(l), stderr: (l) => help.push(l) })).toBe(0);
    expect(help.join('\n')).toContain('npm run chat-service');
  });
});
