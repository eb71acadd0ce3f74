import type { EmbeddingMigrationResource } from '../../../src/config/index.ts';
import type { VectorStore } from '@switchyard/data';

const TOPICS = [
  'reset your password from the login page',
  'download an invoice as a PDF from billing',
  'configure single sign-on with SAML and Okta',
  'export analytics reports to CSV',
  'invite teammates and manage their roles',
  'set up two-factor authentication on your account',
  'change the billing address and the VAT number',
  'connect the Slack integration to a channel',
  'delete a workspace and all of its data',
  'rotate API keys without downtime',
];

/** A help-centre-like text for document `i` (several documents per topic, each a little different). */
export function docText(i: number): string {
  const topic = TOPICS[i % TOPICS.length]!;
  return `Article ${i}: how to ${topic}. Step ${1 + (i % 7)} explains the ${['admin', 'owner', 'member'][i % 3]} view, variant ${Math.floor(i / TOPICS.length)}.`;
}

export function docId(i: number): string {
  return `doc-${String(i).padStart(6, '0')}`;
}

/** Inserts `n` documents (ids doc-000000…). */
export async function seedDocuments(store: VectorStore, n: number, from = 0): Promise<void> {
  const s = `"${store.schema}"`;
  for (let start = from; start < from + n; start += 1000) {
    const ids: string[] = [];
    const texts: string[] = [];
    for (let i = start; i < Math.min(from + n, start + 1000); i++) {
      ids.push(docId(i));
      texts.push(docText(i));
    }
    await store.client.query(
      `INSERT INTO ${s}.documents (id, content, version) SELECT id, content, nextval('${s}.document_version') FROM unnest($1::text[], $2::text[]) AS t(id, content)`,
      [ids, texts],
    );
  }
}

export const FROM = { model: 'text-embedding-3-small', dimension: 64, index: 'docs-small' };
export const TO = { model: 'text-embedding-3-large', dimension: 96, index: 'docs-large' };

export function testPlan(overrides: Partial<EmbeddingMigrationResource> = {}): EmbeddingMigrationResource {
  return {
    kind: 'EmbeddingMigration',
    migration: 'docs-test',
    from: FROM,
    to: TO,
    phase: 'backfill',
    backfill: { batchSize: 25, concurrency: 3 },
    ...overrides,
  };
}

export const SETTINGS = {
  batchSize: 25,
  concurrency: 3,
  requestsPerMinute: undefined,
  tokensPerMinute: undefined,
  maxRetries: 3,
};
export const VERIFY = { sampleQueries: 20, topK: 5, minOverlap: 0.3, maxDeadLetters: 0, maxAgeMinutes: 60 };
