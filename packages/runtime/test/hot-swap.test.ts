/**
 * Hot swap under concurrent load: while a real HTTP server publishes new bundles and the client
 * polls and swaps them, concurrent workers resolve continuously. Every answer's value must be the
 * one its own serial prescribes (no torn reads), serials seen by a worker never go backwards, and
 * nothing throws.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { setImmediate as tick } from 'node:timers/promises';
import { createClient } from '../src/index.ts';
import type { SwitchyardClient } from '../src/index.ts';
import { demoPayload, generateSigningKey, makeBundle, trusted } from './helpers/bundles.ts';
import { startBundleServer } from './helpers/bundle-server.ts';
import { waitFor } from '../../../test/helpers/wait-for.ts';
import type { BundleServer } from './helpers/bundle-server.ts';

const key = generateSigningKey();

/** Bundle N encodes N in every answer so a mixed read would show. */
function bundle(n: number) {
  return makeBundle({
    keys: [key],
    serial: n,
    payload: demoPayload('production', (p) => {
      p.flags['new-onboarding-tips']!.thresholdPpm = n % 2 === 1 ? 1_000_000 : 0;
      p.models.fast!.snapshot = `snap-${n}`;
      p.prompts['support-answer']!.versions['1']!.messages[0]!.content = `serial ${n}: {{question}}`;
      p.canaries['rag-hybrid-large']!.control.topK = n;
      p.canaries['rag-hybrid-large']!.candidate.topK = n;
    }),
  });
}

let server: BundleServer | null = null;
let client: SwitchyardClient | null = null;
afterEach(async () => {
  await client?.close();
  await server?.close();
});

describe('hot swap under concurrent load', () => {
  it('every resolution sees exactly one serial; nothing throws', async () => {
    server = await startBundleServer();
    server.publish(bundle(1));
    client = createClient({
      source: server.url,
      env: 'production',
      trustedKeys: trusted(key),
      pollIntervalMs: 2,
      jitter: 0,
      requestTimeoutMs: 2000,
    });
    await client.ready(5000);
    const c = client;

    let stop = false;
    let resolutions = 0;
    const seenSerials = new Set<number>();
    const worker = async (w: number): Promise<void> => {
      let last = 0;
      let i = 0;
      while (!stop) {
        for (let j = 0; j < 25; j++, i++) {
          const unitKey = `w${w}-u${i}`;
          const f = c.isEnabled('new-onboarding-tips', { unitKey });
          expect(f.value).toBe(f.serial % 2 === 1);
          const m = c.resolveModel('fast', { unitKey });
          expect(m.value).toBe(`snap-${m.serial}`);
          const p = c.getPrompt('support-answer', { unitKey, vars: { question: 'q' } });
          expect(p.value?.messages[0]?.content).toBe(`serial ${p.serial}: q`);
          const k = c.canary('rag-hybrid-large', { unitKey });
          expect(k.value?.pipeline.topK).toBe(k.serial);
          expect(f.serial).toBeGreaterThanOrEqual(last);
          last = Math.max(f.serial, m.serial, p.serial, k.serial);
          seenSerials.add(last);
          resolutions += 4;
        }
        await tick();
      }
    };
    const workers = Array.from({ length: 8 }, (_, w) => worker(w));

    const target = 30;
    for (let n = 2; n <= target; n++) {
      server.publish(bundle(n));
      await waitFor(`the client to swap to serial ${n}`, () => c.status().serial >= n, 5000);
      expect(c.status().serial).toBe(n);
    }
    stop = true;
    await Promise.all(workers);
    expect(c.status().lastError).toBeNull();
    expect(seenSerials.size).toBeGreaterThan(10);
    expect(resolutions).toBeGreaterThan(2_000);
  });
});
