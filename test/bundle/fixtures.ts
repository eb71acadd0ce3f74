/** Test helpers: a small valid payload and a signed manifest over it, with keys generated at test time. */

import { canonicalBytes, sha256Hex, type BundlePayload, type Manifest } from '../../src/bundle/runtime-format.ts';
import { buildSigned, signManifest } from '../../src/bundle/sign.ts';
import type { SigningKey } from '../../src/bundle/keys.ts';

export const COMMIT = 'a'.repeat(40);
export const CREATED = new Date('2026-01-01T00:00:00.000Z');
export const EXPIRES = new Date('2026-01-31T00:00:00.000Z');
/** A moment between CREATED and EXPIRES. */
export const NOW = Date.parse('2026-01-10T00:00:00.000Z');

export function smallPayload(env = 'staging'): BundlePayload {
  return {
    format: 1,
    project: 'demo',
    env,
    commit: COMMIT,
    models: {
      chat: {
        alias: 'chat',
        provider: { type: 'openai' },
        snapshot: 'gpt-4o-2024-05-13',
        params: { temperature: 0.2 },
        conversations: 'pinned',
        retired: [],
        rollout: null,
      },
    },
    prompts: {},
    flags: {
      tips: {
        name: 'tips',
        kind: 'Flag',
        seed: 'tips',
        unit: 'userId',
        percent: 25,
        thresholdPpm: 250_000,
        killed: false,
        stages: [1, 5, 25, 100],
      },
    },
    modelRollouts: {},
    experiments: {},
    canaries: {},
    embeddingMigrations: {},
    schemaMigrations: {},
  };
}

export interface Signed {
  manifest: Manifest;
  manifestBytes: Uint8Array;
  payloadBytes: Uint8Array;
}

export function signedBundle(
  keys: SigningKey[],
  overrides: { env?: string; serial?: number; payload?: BundlePayload } = {},
): Signed {
  const env = overrides.env ?? 'staging';
  const payloadBytes = canonicalBytes(overrides.payload ?? smallPayload(env));
  const signed = buildSigned({
    env,
    serial: overrides.serial ?? 7,
    commit: COMMIT,
    createdAt: CREATED,
    expires: EXPIRES,
    payload: { sha256: sha256Hex(payloadBytes), length: payloadBytes.byteLength },
  });
  const manifest = signManifest(signed, keys);
  return { manifest, manifestBytes: canonicalBytes(manifest), payloadBytes };
}

export const encode = (value: unknown): Uint8Array =>
  new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value));
