/** Test bundles: a demo-like payload, signed manifests with keys generated at test time, publishing. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import { canonicalBytes, sha256Hex, trustedKeysFrom } from '../../src/tools.ts';
import type { BundlePayload } from '../../src/index.ts';
import type { TrustedKeys } from '../../src/tools.ts';
import { buildSigned, signManifest } from '../../../../src/bundle/sign.ts';
import { generateSigningKey } from '../../../../src/bundle/keys.ts';
import type { SigningKey } from '../../../../src/bundle/keys.ts';

export { generateSigningKey, type SigningKey };

export const COMMIT = 'c'.repeat(40);
export const DAY = 86_400_000;

export function trusted(...keys: SigningKey[]): TrustedKeys {
  return trustedKeysFrom(keys.map((k) => k.publicKey as KeyObject));
}

/** A payload covering every resource kind, shaped like the demo organisation. */
export function demoPayload(env = 'production', patch: (p: BundlePayload) => void = () => undefined): BundlePayload {
  const p: BundlePayload = {
    format: 1,
    project: 'demo',
    env,
    commit: COMMIT,
    models: {
      chat: {
        alias: 'chat',
        provider: { type: 'openai' },
        snapshot: 'gpt-4o-2024-05-13',
        params: { temperature: 0.3, max_tokens: 800 },
        conversations: 'pinned',
        retired: ['gpt-4-0613'],
        rollout: 'chat-gpt-4o-2024-08-06',
      },
      fast: {
        alias: 'fast',
        provider: { type: 'openai-compatible', baseUrl: 'http://127.0.0.1:9/v1' },
        snapshot: 'gpt-4o-mini-2024-07-18',
        params: {},
        conversations: 'follow',
        retired: [],
        rollout: null,
      },
    },
    prompts: {
      summarization: {
        name: 'summarization',
        active: 1,
        experiment: 'summarization-v1-vs-v2',
        versions: {
          '1': {
            version: 1,
            status: 'active',
            model: 'chat',
            params: { temperature: 0.2 },
            variables: ['text'],
            messages: [
              { role: 'system', content: 'Summarise.' },
              { role: 'user', content: 'Text: {{text}}' },
            ],
          },
          '2': {
            version: 2,
            status: 'draft',
            model: 'chat',
            params: {},
            variables: ['text', 'audience'],
            messages: [
              { role: 'system', content: 'Summarise for {{ audience }}.' },
              { role: 'user', content: '{{text}}' },
            ],
          },
        },
      },
      'support-answer': {
        name: 'support-answer',
        active: 1,
        experiment: null,
        versions: {
          '1': {
            version: 1,
            status: 'active',
            model: 'fast',
            params: {},
            variables: ['question'],
            messages: [{ role: 'user', content: 'Q: {{question}}' }],
          },
        },
      },
    },
    flags: {
      'new-onboarding-tips': {
        name: 'new-onboarding-tips',
        kind: 'Flag',
        seed: 'new-onboarding-tips',
        unit: 'userId',
        percent: 25,
        thresholdPpm: 250_000,
        killed: false,
        stages: [1, 5, 25, 100],
      },
      'chat-gpt-4o-2024-08-06': {
        name: 'chat-gpt-4o-2024-08-06',
        kind: 'ModelRollout',
        seed: 'chat-gpt-4o-2024-08-06',
        unit: 'userId',
        percent: 25,
        thresholdPpm: 250_000,
        killed: false,
        stages: [1, 5, 25, 100],
      },
      'rag-hybrid-large': {
        name: 'rag-hybrid-large',
        kind: 'Canary',
        seed: 'rag-hybrid-large',
        unit: 'userId',
        percent: 10,
        thresholdPpm: 100_000,
        killed: false,
        stages: [10, 25, 50, 100],
      },
    },
    modelRollouts: {
      'chat-gpt-4o-2024-08-06': {
        flag: 'chat-gpt-4o-2024-08-06',
        model: 'chat',
        from: 'gpt-4o-2024-05-13',
        to: 'gpt-4o-2024-08-06',
        shadow: {
          dataset: 'chat-prod-sample',
          sampleRate: 0.05,
          sampleRatePpm: 50_000,
          gate: { minAvgSimilarity: 0.9, minMinSimilarity: 0.7 },
        },
      },
    },
    experiments: {
      'summarization-v1-vs-v2': {
        id: 'summarization-v1-vs-v2',
        status: 'running',
        prompt: 'summarization',
        unit: 'userId',
        seed: 'summarization-v1-vs-v2',
        traffic: 50,
        variants: [
          { name: 'control', version: 1, weight: 50, slotStart: 0, slotEnd: 500_000, enrolledEnd: 250_000 },
          { name: 'treatment', version: 2, weight: 50, slotStart: 500_000, slotEnd: 1_000_000, enrolledEnd: 750_000 },
        ],
        metrics: { primary: 'thumbs_up', guardrails: ['latency_ms'] },
        minSamples: 1000,
      },
    },
    canaries: {
      'rag-hybrid-large': {
        flag: 'rag-hybrid-large',
        control: { embeddingModel: 'text-embedding-3-small', retrieval: 'semantic', topK: 5, index: 'docs-small' },
        candidate: { embeddingModel: 'text-embedding-3-large', retrieval: 'hybrid', topK: 10, index: 'docs-large' },
        analysis: { metric: 'relevance', revertBelow: 0.95, advanceAbove: 1.05, minSamples: 500, next: 25 },
      },
    },
    embeddingMigrations: {
      'docs-embeddings-3-large': {
        id: 'docs-embeddings-3-large',
        phase: 'dual-read',
        from: { model: 'text-embedding-3-small', dimension: 1536, index: 'docs-small' },
        to: { model: 'text-embedding-3-large', dimension: 3072, index: 'docs-large' },
        write: [
          { model: 'text-embedding-3-small', dimension: 1536, index: 'docs-small' },
          { model: 'text-embedding-3-large', dimension: 3072, index: 'docs-large' },
        ],
        read: [
          { model: 'text-embedding-3-large', dimension: 3072, index: 'docs-large' },
          { model: 'text-embedding-3-small', dimension: 1536, index: 'docs-small' },
        ],
        backfill: { batchSize: 100, concurrency: 4, active: false },
      },
    },
    schemaMigrations: {
      'conversation-schema-v2': {
        id: 'conversation-schema-v2',
        entity: 'conversation',
        from: 1,
        to: 2,
        mode: 'background',
        batchSize: 500,
        upgrade: {
          add: { modelVersion: 'gpt-4o-2024-05-13', metadata: {} },
          rename: { created: 'createdAt' },
          addToMessages: { model: 'gpt-4o-2024-05-13' },
        },
      },
    },
  };
  patch(p);
  return p;
}

export interface TestBundle {
  serial: number;
  manifestBytes: Uint8Array;
  payloadBytes: Uint8Array;
  sha256: string;
}

export function makeBundle(options: {
  keys: SigningKey[];
  serial: number;
  payload?: BundlePayload;
  env?: string;
  createdAt?: number;
  expires?: number;
}): TestBundle {
  const env = options.env ?? 'production';
  const payload = options.payload ?? demoPayload(env);
  const payloadBytes = canonicalBytes(payload as never);
  const sha256 = sha256Hex(payloadBytes);
  const createdAt = options.createdAt ?? Date.now() - 60_000;
  const signed = buildSigned({
    env,
    serial: options.serial,
    commit: payload.commit,
    createdAt: new Date(createdAt),
    expires: new Date(options.expires ?? createdAt + 30 * DAY),
    payload: { sha256, length: payloadBytes.byteLength },
  });
  const manifest = signManifest(signed, options.keys);
  return { serial: options.serial, manifestBytes: canonicalBytes(manifest as never), payloadBytes, sha256 };
}

/** Writes `<root>/<env>/payload/<sha>.json` then `<root>/<env>/manifest.json`, like `switchyard publish`. */
export async function publishToDir(root: string, bundle: TestBundle, env = 'production'): Promise<void> {
  await mkdir(join(root, env, 'payload'), { recursive: true });
  await writeFile(join(root, env, 'payload', `${bundle.sha256}.json`), bundle.payloadBytes);
  await writeFile(join(root, env, 'manifest.json'), bundle.manifestBytes);
}
