import { readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { publishToDirectory } from '../../src/bundle/index.ts';
import { generateSigningKey } from '../../src/bundle/keys.ts';
import { signedBundle, smallPayload } from './fixtures.ts';
import { removeDir, tempDir } from './git-fixture.ts';

const key = generateSigningKey();
const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));
const target = () => {
  const d = tempDir('publish');
  dirs.push(d);
  return d;
};

describe('publishToDirectory', () => {
  it('writes payload and manifest, keeps old payloads, leaves no temporary files', async () => {
    const to = target();
    const first = signedBundle([key], { serial: 3 });
    const changed = smallPayload();
    changed.flags.tips!.percent = 100;
    changed.flags.tips!.thresholdPpm = 1_000_000;
    const second = signedBundle([key], { serial: 4, payload: changed });
    expect(await publishToDirectory(to, first.manifestBytes, first.payloadBytes)).toMatchObject({
      ok: true,
      serial: 3,
      previousSerial: null,
    });
    expect(await publishToDirectory(to, second.manifestBytes, second.payloadBytes)).toMatchObject({
      ok: true,
      serial: 4,
      previousSerial: 3,
    });
    expect(readdirSync(join(to, 'staging', 'payload')).sort()).toEqual(
      [first.manifest.signed.payload.sha256, second.manifest.signed.payload.sha256].map((s) => `${s}.json`).sort(),
    );
    expect(readdirSync(join(to, 'staging')).sort()).toEqual(['manifest.json', 'payload']);
    expect(readFileSync(join(to, 'staging', 'manifest.json')).equals(Buffer.from(second.manifestBytes))).toBe(true);
  });

  it('refuses an equal or lower serial with a clear code, but accepts the identical manifest again', async () => {
    const to = target();
    const current = signedBundle([key], { serial: 10 });
    await publishToDirectory(to, current.manifestBytes, current.payloadBytes);
    for (const serial of [10, 9]) {
      const older = signedBundle([key, generateSigningKey()], { serial });
      const result = await publishToDirectory(to, older.manifestBytes, older.payloadBytes);
      expect(result.ok ? 'published' : result.code).toBe('E_PUBLISH_SERIAL_NOT_HIGHER');
    }
    expect(await publishToDirectory(to, current.manifestBytes, current.payloadBytes)).toMatchObject({
      ok: true,
      unchanged: true,
    });
  });

  it('refuses a payload the manifest does not name, and an unreadable manifest at the target', async () => {
    const to = target();
    const a = signedBundle([key], { serial: 1 });
    const b = signedBundle([key], { serial: 2, env: 'production' });
    const mismatch = await publishToDirectory(to, a.manifestBytes, b.payloadBytes);
    expect(mismatch.ok ? 'published' : mismatch.code).toBe('E_PUBLISH_PAYLOAD_MISMATCH');
    const notJson = await publishToDirectory(to, new TextEncoder().encode('nope'), a.payloadBytes);
    expect(notJson.ok ? 'published' : notJson.code).toBe('E_PUBLISH_BAD_MANIFEST');
    mkdirSync(join(to, 'staging'), { recursive: true });
    writeFileSync(join(to, 'staging', 'manifest.json'), '<html>');
    const unreadable = await publishToDirectory(to, a.manifestBytes, a.payloadBytes);
    expect(unreadable.ok ? 'published' : unreadable.code).toBe('E_PUBLISH_TARGET_UNREADABLE');
    expect(readFileSync(join(to, 'staging', 'manifest.json'), 'utf8')).toBe('<html>');
  });
});
