/** The provider through the real @openfeature/server-sdk API, over a real client and HTTP server. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { OpenFeature, ProviderEvents } from '@openfeature/server-sdk';
import type { EventDetails } from '@openfeature/server-sdk';
import { ClientNotReadyError, createClient } from '@switchyard/runtime';
import { bucketOf } from '@switchyard/runtime/bundle';
import type { SwitchyardClient } from '@switchyard/runtime';
import { SwitchyardProvider } from '../src/index.ts';
import { demoPayload, generateSigningKey, makeBundle, trusted } from '../../runtime/test/helpers/bundles.ts';
import { startBundleServer } from '../../runtime/test/helpers/bundle-server.ts';
import type { BundleServer } from '../../runtime/test/helpers/bundle-server.ts';

const key = generateSigningKey();
let server: BundleServer;
let client: SwitchyardClient;

afterEach(async () => {
  await OpenFeature.close();
  await client?.close();
  await server?.close();
});

function unitWhere(seed: string, test: (b: number) => boolean): string {
  for (let i = 0; ; i++) if (test(bucketOf(seed, `of-${i}`))) return `of-${i}`;
}

describe('SwitchyardProvider', () => {
  it('answers flags, models, prompt versions, experiments and canaries like the native API', async () => {
    server = await startBundleServer();
    server.publish(makeBundle({ keys: [key], serial: 1 }));
    client = createClient({ source: server.url, env: 'production', trustedKeys: trusted(key), pollIntervalMs: 0 });
    await OpenFeature.setProviderAndWait(new SwitchyardProvider(client));
    const of = OpenFeature.getClient();

    const on = unitWhere('new-onboarding-tips', (b) => b < 250_000);
    const off = unitWhere('new-onboarding-tips', (b) => b >= 250_000);
    expect(await of.getBooleanDetails('new-onboarding-tips', false, { targetingKey: on })).toMatchObject({
      value: true,
      reason: 'SPLIT',
      variant: 'on',
    });
    expect(await of.getBooleanDetails('new-onboarding-tips', true, { targetingKey: off })).toMatchObject({
      value: false,
      reason: 'DEFAULT',
    });
    expect(await of.getBooleanDetails('ghost', true, { targetingKey: on })).toMatchObject({
      value: true,
      reason: 'ERROR',
      errorCode: 'FLAG_NOT_FOUND',
    });
    expect(await of.getBooleanDetails('new-onboarding-tips', true, {})).toMatchObject({
      value: true,
      errorCode: 'TARGETING_KEY_MISSING',
    });

    const inRollout = unitWhere('chat-gpt-4o-2024-08-06', (b) => b < 250_000);
    expect(await of.getStringValue('model:chat', 'fallback', { targetingKey: inRollout })).toBe('gpt-4o-2024-08-06');
    expect(
      await of.getStringDetails('chat', 'fallback', {
        targetingKey: inRollout,
        conversationSnapshot: 'gpt-4o-2024-05-13',
      }),
    ).toMatchObject({ value: 'gpt-4o-2024-05-13', reason: 'TARGETING_MATCH' });
    expect(client.resolveModel('chat', { unitKey: inRollout }).value).toBe('gpt-4o-2024-08-06');

    const treatment = unitWhere('summarization-v1-vs-v2', (b) => b >= 500_000 && b < 750_000);
    expect(await of.getStringDetails('prompt:summarization', '0', { targetingKey: treatment })).toMatchObject({
      value: '2',
      variant: 'treatment',
      reason: 'SPLIT',
    });
    expect(await of.getNumberValue('prompt:support-answer', 0, { targetingKey: treatment })).toBe(1);
    expect(await of.getStringValue('experiment:summarization-v1-vs-v2', 'none', { targetingKey: treatment })).toBe(
      'treatment',
    );

    const cand = unitWhere('rag-hybrid-large', (b) => b < 100_000);
    expect(await of.getObjectDetails('canary:rag-hybrid-large', {}, { targetingKey: cand })).toMatchObject({
      value: { retrieval: 'hybrid', topK: 10 },
      variant: 'candidate',
    });
    expect(await of.getObjectValue('embedding:docs-embeddings-3-large', {})).toMatchObject({ phase: 'dual-read' });
    expect(await of.getNumberDetails('canary:rag-hybrid-large', 3, {})).toMatchObject({
      value: 3,
      errorCode: 'TYPE_MISMATCH',
    });
  });

  it('emits ConfigurationChanged with flagsChanged on swap', async () => {
    server = await startBundleServer();
    server.publish(makeBundle({ keys: [key], serial: 1 }));
    client = createClient({ source: server.url, env: 'production', trustedKeys: trusted(key), pollIntervalMs: 0 });
    await OpenFeature.setProviderAndWait(new SwitchyardProvider(client));
    const events: EventDetails[] = [];
    OpenFeature.addHandler(ProviderEvents.ConfigurationChanged, (d) => {
      if (d) events.push(d);
    });
    server.publish(
      makeBundle({
        keys: [key],
        serial: 2,
        payload: demoPayload('production', (p) => {
          p.flags['new-onboarding-tips']!.killed = true;
          p.models.chat!.snapshot = 'gpt-4o-2024-11-20';
        }),
      }),
    );
    await client.refresh();
    // The SDK delivers provider events asynchronously: wait for it, bounded, instead of sleeping.
    await vi.waitFor(() => expect(events).toHaveLength(1), { timeout: 2000, interval: 5 });
    expect(events).toHaveLength(1);
    expect(events[0]?.flagsChanged).toEqual(['chat', 'model:chat', 'new-onboarding-tips']);
    const of = OpenFeature.getClient();
    expect(await of.getBooleanDetails('new-onboarding-tips', true, { targetingKey: 'x' })).toMatchObject({
      value: false,
      reason: 'DISABLED',
    });
  });

  it('initialize fails (provider error) when no verified bundle arrives in time', async () => {
    server = await startBundleServer();
    server.faults = { manifest: { kind: 'status', status: 500 } };
    client = createClient({ source: server.url, env: 'production', trustedKeys: trusted(key), pollIntervalMs: 0 });
    const init = OpenFeature.setProviderAndWait(new SwitchyardProvider(client, { readyTimeoutMs: 300 }));
    await expect(init).rejects.toBeInstanceOf(ClientNotReadyError);
    await expect(init).rejects.toMatchObject({ code: 'E_FETCH_STATUS' });
    const details = await OpenFeature.getClient().getBooleanDetails('new-onboarding-tips', true, { targetingKey: 'x' });
    expect(details.value).toBe(true);
    expect(details.reason).toBe('ERROR');
  });
});
