/**
 * The last-known-good cache write on a real file system: atomic replacement through exclusively
 * created, randomly named temp files; failures leave no temp files behind; cleanup never touches
 * another writer's temp files or fresh payloads.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic, TEMP_FILE } from '../src/client/atomic-write.ts';
import { PAYLOAD_GRACE_MS, writeCache } from '../src/client/cache.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'switchyard-cache-write-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const SHA_A = 'a'.repeat(64);
const SHA_B = 'b'.repeat(64);

describe('writeFileAtomic', () => {
  it('replaces a symlinked target instead of writing through it', async () => {
    const outside = join(dir, 'outside.txt');
    await writeFile(outside, 'keep me');
    await symlink(outside, join(dir, 'target'));
    await writeFileAtomic(join(dir, 'target'), enc('new'));
    expect(await readFile(outside, 'utf8')).toBe('keep me');
    expect(await readFile(join(dir, 'target'), 'utf8')).toBe('new');
  });

  it('uses a fresh random temp name per write (concurrent writers never share one)', async () => {
    const writes = Array.from({ length: 20 }, (_, i) => writeFileAtomic(join(dir, 'same'), enc(`v${i}`)));
    await Promise.all(writes);
    expect(await readFile(join(dir, 'same'), 'utf8')).toMatch(/^v\d+$/);
    expect(await readdir(dir)).toEqual(['same']);
  });

  it('removes its own temp file when the rename fails', async () => {
    await mkdir(join(dir, 'occupied'));
    await writeFile(join(dir, 'occupied', 'x'), 'x');
    await expect(writeFileAtomic(join(dir, 'occupied'), enc('data'))).rejects.toMatchObject({
      code: expect.stringMatching(/^E(ISDIR|NOTEMPTY|EXIST)$/),
    });
    expect((await readdir(dir)).filter((n) => TEMP_FILE.test(n))).toEqual([]);
  });
});

describe('writeCache', () => {
  it('a failed cache write reports E_CACHE_WRITE and leaks no temp file', async () => {
    const envDir = join(dir, 'production');
    await mkdir(join(envDir, 'manifest.json'), { recursive: true });
    await writeFile(join(envDir, 'manifest.json', 'blocker'), 'x');
    const r = await writeCache(dir, 'production', enc('{"m":1}'), enc('{"p":1}'), {
      highestSerial: 1,
      payloadSha256: SHA_A,
    });
    expect(r).toMatchObject({ ok: false, code: 'E_CACHE_WRITE' });
    expect((await readdir(envDir)).filter((n) => TEMP_FILE.test(n))).toEqual([]);
    expect((await readdir(join(envDir, 'payload'))).filter((n) => TEMP_FILE.test(n))).toEqual([]);
  });

  it("leaves other writers' temp files and fresh payloads alone; removes superseded old payloads", async () => {
    const payloadDir = join(dir, 'production', 'payload');
    await mkdir(payloadDir, { recursive: true });
    const foreignTemp = `.${SHA_B}.json.0123456789ab.tmp`;
    await writeFile(join(payloadDir, foreignTemp), 'half written by another process');
    const fresh = `${SHA_B}.json`;
    await writeFile(join(payloadDir, fresh), 'just written by another process');
    const old = `${'c'.repeat(64)}.json`;
    await writeFile(join(payloadDir, old), 'superseded long ago');
    const past = (Date.now() - PAYLOAD_GRACE_MS - 5_000) / 1000;
    await utimes(join(payloadDir, old), past, past);
    const r = await writeCache(dir, 'production', enc('{"m":1}'), enc('{"p":1}'), {
      highestSerial: 3,
      payloadSha256: SHA_A,
    });
    expect(r).toEqual({ ok: true });
    expect((await readdir(payloadDir)).sort()).toEqual([foreignTemp, `${SHA_A}.json`, fresh].sort());
    expect(JSON.parse(await readFile(join(dir, 'production', 'state.json'), 'utf8'))).toEqual({
      highestSerial: 3,
      payloadSha256: SHA_A,
    });
  });
});
