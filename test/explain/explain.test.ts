/**
 * `switchyard explain`: the answers are the runtime's (checked here against the bucketing rule
 * computed independently from the payload), from a signed published bundle verified with the
 * caller's keys, or from a local `compile` output.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bucketOf } from '@switchyard/runtime/bundle';
import { BundlePublisher } from '../../examples/chat-service/demo/demo-bundle.ts';
import { generateSigningKey, trustedKeysDocument } from '../../src/bundle/keys.ts';
import type { CommandIo } from '../../src/cli/command.ts';
import { main } from '../../src/cli/main.ts';
import { createBundleServer, listen } from '../../src/bundle/index.ts';

const REPO = join(import.meta.dirname, '..', '..');

function captureIo(cwd: string): CommandIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: (t) => out.push(t), stderr: (t) => err.push(t), cwd, env: { ...process.env } };
}
let dir: string;
let keys: string;
let otherKeys: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'switchyard-explain-'));
  const publisher = await BundlePublisher.open({ root: REPO, dir: join(dir, 'published') });
  await publisher.publish();
  keys = join(dir, 'keys.json');
  await writeFile(keys, publisher.trustedKeys);
  otherKeys = join(dir, 'other.json');
  await writeFile(otherKeys, trustedKeysDocument([{ key: generateSigningKey().publicKey }]));
}, 60_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Entry {
  name: string;
  value: string;
  rule: string;
  why: string;
}
type Out = Record<'models' | 'flags' | 'experiments' | 'canaries' | 'embeddingRoutes', Entry[]> & {
  serial: number;
  from: string;
};

async function explain(args: string[]): Promise<{ code: number; out: Out | null; err: string }> {
  const io = captureIo(REPO);
  const code = await main(['explain', ...args, '--format', 'json'], io);
  return { code, out: code === 0 ? (JSON.parse(io.out.join('')) as Out) : null, err: io.err.join('\n') };
}

describe('switchyard explain', () => {
  it('answers from a verified published bundle, as the bucketing rule says, with its reasons', async () => {
    let checked = 0;
    for (const unit of ['user-1', 'user-2', 'user-3', 'user-42']) {
      const r = await explain([unit, '--env', 'production', '--from', join(dir, 'published'), '--trusted-keys', keys]);
      expect(r.code, r.err).toBe(0);
      const out = r.out!;
      expect(out.serial).toBe(1);
      expect(out.from).toMatch(/verified/);
      for (const flag of out.flags) {
        const m = /bucket (\d+) ([<≥]) threshold (\d+) ppm/.exec(flag.why);
        if (!m) continue; // killed flags say so instead
        const seed = /seed ([^)]+)\)/.exec(flag.why)![1]!;
        expect(Number(m[1])).toBe(bucketOf(seed, unit));
        expect(flag.value).toBe(Number(m[1]) < Number(m[3]) ? 'on' : 'off');
        checked++;
      }
      expect(out.models.map((m) => m.name)).toContain('chat');
      expect(out.embeddingRoutes[0]!.value).toMatch(/^phase /);
    }
    expect(checked).toBeGreaterThanOrEqual(8);
  });

  it('keeps a pinned conversation on its snapshot and says why', async () => {
    const r = await explain([
      'user-1',
      '--env',
      'production',
      '--from',
      join(dir, 'published'),
      '--trusted-keys',
      keys,
      '--conversation-pin',
      'gpt-4o-2024-05-13',
    ]);
    const chat = r.out!.models.find((m) => m.name === 'chat')!;
    expect(chat).toMatchObject({ value: 'gpt-4o-2024-05-13', rule: 'pinned' });
    expect(chat.why).toMatch(/pinned to gpt-4o-2024-05-13/);
  });

  it('refuses a bundle signed by keys it was not given, and a missing one', async () => {
    const wrong = await explain([
      'user-1',
      '--env',
      'production',
      '--from',
      join(dir, 'published'),
      '--trusted-keys',
      otherKeys,
    ]);
    expect(wrong.code).toBe(1);
    expect(wrong.err).toMatch(/switchyard explain: E_SIG/);
    const missing = await explain([
      'user-1',
      '--env',
      'nowhere',
      '--from',
      join(dir, 'published'),
      '--trusted-keys',
      keys,
    ]);
    expect(missing.code).toBe(1);
    expect(
      await main(['explain', 'user-1', '--env', 'production', '--from', join(dir, 'published')], captureIo(REPO)),
    ).toBe(2);
  });

  it('reads a local compile output (unsigned, said so) and agrees with the published bundle', async () => {
    const dist = join(dir, 'dist');
    expect(await main(['compile', '--env', 'production', '--out', dist], captureIo(REPO))).toBe(0);
    const local = await explain(['user-42', '--env', 'production', '--from', dist]);
    expect(local.code, local.err).toBe(0);
    expect(local.out!.from).toMatch(/local build .* \(unsigned\)/);
    const published = await explain([
      'user-42',
      '--env',
      'production',
      '--from',
      join(dir, 'published'),
      '--trusted-keys',
      keys,
    ]);
    const strip = (o: Out) => ({ models: o.models, flags: o.flags, experiments: o.experiments, canaries: o.canaries });
    expect(strip(local.out!)).toEqual(strip(published.out!));
  });

  it('answers from a bundle server over HTTP exactly as from its directory', async () => {
    const server = createBundleServer(join(dir, 'published'));
    const port = await listen(server, 0);
    try {
      const url = `http://127.0.0.1:${port}`;
      const remote = await explain(['user-42', '--env', 'production', '--from', url, '--trusted-keys', keys]);
      expect(remote.code, remote.err).toBe(0);
      expect(remote.out!.from).toContain(url);
      expect(remote.out!.from).toMatch(/verified/);
      const local = await explain([
        'user-42',
        '--env',
        'production',
        '--from',
        join(dir, 'published'),
        '--trusted-keys',
        keys,
      ]);
      const { from: _remoteFrom, ...remoteRest } = remote.out!;
      const { from: _localFrom, ...localRest } = local.out!;
      expect(remoteRest).toEqual(localRest);
      // The same keys check applies over HTTP.
      const wrong = await explain(['user-42', '--env', 'production', '--from', url, '--trusted-keys', otherKeys]);
      expect(wrong.code).toBe(1);
      expect(wrong.err).toMatch(/switchyard explain: E_SIG/);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
