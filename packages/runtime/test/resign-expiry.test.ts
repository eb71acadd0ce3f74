/**
 * Re-signing the same commit with a later expiry (the documented remedy for a quiet main branch)
 * must reach running runtimes: the same serial and payload, a new `expires`. It used to be ignored
 * as "same bundle", leaving the runtime stale. An older, earlier-expiring signature is not adopted.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '../src/index.ts';
import type { SwitchyardClient } from '../src/index.ts';
import { DAY, generateSigningKey, makeBundle, publishToDir, trusted } from './helpers/bundles.ts';

const key = generateSigningKey();
let dir: string;
let c: SwitchyardClient | null = null;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'switchyard-resign-'));
});
afterEach(async () => {
  await c?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('re-signed bundle with a later expiry', () => {
  it('is adopted without a swap of decisions, clears stale, and is cached', async () => {
    const created = Date.now() - 10 * DAY;
    let now = created + 2 * DAY;
    const first = makeBundle({ keys: [key], serial: 4, createdAt: created, expires: created + 3 * DAY });
    await publishToDir(join(dir, 'src'), first);
    c = createClient({
      source: join(dir, 'src'),
      env: 'production',
      trustedKeys: trusted(key),
      cacheDir: join(dir, 'cache'),
      pollIntervalMs: 0,
      now: () => now,
    });
    await c.ready(5000);
    now = created + 4 * DAY;
    expect((await c.refresh()).stale).toBe(true);
    const changes: unknown[] = [];
    c.onChange((ch) => changes.push(ch));
    const resigned = makeBundle({ keys: [key], serial: 4, createdAt: created, expires: created + 30 * DAY });
    expect(resigned.sha256).toBe(first.sha256);
    await publishToDir(join(dir, 'src'), resigned);
    const s = await c.refresh();
    expect(s).toMatchObject({
      serial: 4,
      stale: false,
      lastError: null,
      expiresAt: new Date(created + 30 * DAY).toISOString(),
    });
    expect(c.isEnabled('new-onboarding-tips', { unitKey: 'u' }).reason).not.toBe('stale');
    expect(changes).toEqual([]);
    expect(
      Buffer.from(await readFile(join(dir, 'cache', 'production', 'manifest.json'))).equals(
        Buffer.from(resigned.manifestBytes),
      ),
    ).toBe(true);

    // Replaying the earlier signature does not shorten the validity.
    await publishToDir(join(dir, 'src'), first);
    expect((await c.refresh()).expiresAt).toBe(new Date(created + 30 * DAY).toISOString());
  });
});
