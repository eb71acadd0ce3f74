import { describe, expect, it } from 'vitest';
import { createMemorySink, upgradeRecord } from '../src/index.ts';
import { buildTable, Engine, payloadShapeError } from '../src/tools.ts';
import type { BundlePayload, PayloadSchemaMigration } from '../src/index.ts';
import { COMMIT, demoPayload } from './helpers/bundles.ts';

/** The demo plan with per-message timestamps filled from the conversation's (renamed) createdAt. */
const WITH_COPY: PayloadSchemaMigration = {
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
    copyToMessages: { timestamp: 'createdAt' },
  },
};

const v1 = () => ({
  id: 'c1',
  created: '2024-01-01T10:00:00Z',
  title: 'Hi',
  messages: [
    { role: 'user', content: 'x' },
    { role: 'assistant', content: 'y', timestamp: '2024-01-01T10:00:05Z' },
    'not an object',
  ],
});

const meta = {
  serial: 1,
  env: 'production',
  commit: COMMIT,
  createdAt: 0,
  expiresAt: Date.now() + 86_400_000,
  payloadSha256: '',
};

describe('upgradeRecord copyToMessages', () => {
  it('fills each message lacking the field from the renamed record field, never overwriting', () => {
    const r = upgradeRecord(WITH_COPY, v1());
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.record.messages).toEqual([
      { role: 'user', content: 'x', timestamp: '2024-01-01T10:00:00Z', model: 'gpt-4o-2024-05-13' },
      { role: 'assistant', content: 'y', timestamp: '2024-01-01T10:00:05Z', model: 'gpt-4o-2024-05-13' },
      'not an object',
    ]);
    expect(r.record).toMatchObject({ createdAt: '2024-01-01T10:00:00Z', schemaVersion: 2 });
    expect(r.record).not.toHaveProperty('created');
  });

  it('is idempotent', () => {
    const once = upgradeRecord(WITH_COPY, v1());
    if (!once.ok) throw new Error(once.message);
    const twice = upgradeRecord(WITH_COPY, once.record);
    expect(twice).toMatchObject({ ok: true, changed: false });
    if (twice.ok) expect(twice.record).toEqual(once.record);
  });

  it('a record without the source (or with null) keeps its messages as they are and is still upgraded', () => {
    for (const record of [
      { id: 'c2', messages: [{ role: 'user', content: 'x' }] },
      { id: 'c3', createdAt: null, messages: [{ role: 'user', content: 'x' }] },
    ]) {
      const r = upgradeRecord(WITH_COPY, record);
      expect(r.ok && r.changed).toBe(true);
      if (!r.ok) return;
      expect(r.record.messages).toEqual([{ role: 'user', content: 'x', model: 'gpt-4o-2024-05-13' }]);
      expect(r.record.schemaVersion).toBe(2);
    }
  });

  it('addToMessages is the fallback for the same field when nothing can be copied', () => {
    const m: PayloadSchemaMigration = {
      ...WITH_COPY,
      upgrade: { ...WITH_COPY.upgrade, addToMessages: { timestamp: '1970-01-01T00:00:00Z' } },
    };
    const copied = upgradeRecord(m, v1());
    const fallback = upgradeRecord(m, { id: 'c4', messages: [{ role: 'user', content: 'x' }] });
    expect(copied.ok && (copied.record.messages as unknown[])[0]).toMatchObject({ timestamp: '2024-01-01T10:00:00Z' });
    expect(fallback.ok && fallback.record.messages).toEqual([
      { role: 'user', content: 'x', timestamp: '1970-01-01T00:00:00Z' },
    ]);
  });

  it('copies deep values as copies, and only own fields count (a field named constructor is data)', () => {
    const m: PayloadSchemaMigration = {
      ...WITH_COPY,
      upgrade: { add: {}, rename: {}, addToMessages: {}, copyToMessages: { origin: 'source', ctor: 'constructor' } },
    };
    const record = {
      id: 'c5',
      source: { app: 'ios', v: [1, 2] },
      messages: [
        { role: 'user', content: 'x' },
        { role: 'user', content: 'y' },
      ],
    };
    const r = upgradeRecord(m, record);
    if (!r.ok) throw new Error(r.message);
    const [a, b] = r.record.messages as Array<Record<string, unknown>>;
    expect(a).toEqual({ role: 'user', content: 'x', origin: { app: 'ios', v: [1, 2] } });
    expect(a?.origin).not.toBe(b?.origin);
    expect(a?.origin).not.toBe(record.source);
    const own = upgradeRecord(
      { ...m, upgrade: { ...m.upgrade, add: { constructor: 'kept' } } },
      { id: 'c6', messages: [{}] },
    );
    expect(own.ok && own.record).toMatchObject({ constructor: 'kept', messages: [{ ctor: 'kept' }] });
  });

  it('the engine applies it from a bundle, and a bundle without the field (older compiler) still loads and copies nothing', () => {
    const withCopy = demoPayload('production', (p) => {
      p.schemaMigrations['conversation-schema-v2'] = WITH_COPY;
    });
    const built = buildTable(withCopy, meta);
    if (!built.ok) throw new Error(built.message);
    const e = new Engine({ sink: createMemorySink() });
    e.swap(built.table);
    const r = e.upgrade('conversation-schema-v2', v1());
    expect(r.ok && (r.record.messages as unknown[])[0]).toMatchObject({ timestamp: '2024-01-01T10:00:00Z' });

    const old: BundlePayload = demoPayload();
    expect(old.schemaMigrations['conversation-schema-v2']?.upgrade).not.toHaveProperty('copyToMessages');
    expect(payloadShapeError(JSON.parse(JSON.stringify(old)) as never)).toBeUndefined();
    const oldTable = buildTable(old, meta);
    expect(oldTable.ok).toBe(true);
    const plain = upgradeRecord(old.schemaMigrations['conversation-schema-v2']!, v1());
    expect(plain.ok && (plain.record.messages as unknown[])[0]).toEqual({
      role: 'user',
      content: 'x',
      model: 'gpt-4o-2024-05-13',
    });
  });

  it('the payload shape check rejects a copyToMessages that is not a map of field names', () => {
    const bad = (value: unknown) =>
      demoPayload('production', (p) => {
        (p.schemaMigrations['conversation-schema-v2']!.upgrade as Record<string, unknown>).copyToMessages = value;
      });
    expect(payloadShapeError(JSON.parse(JSON.stringify(bad(['createdAt']))) as never)).toBe(
      '/schemaMigrations/conversation-schema-v2/upgrade/copyToMessages must be an object',
    );
    expect(payloadShapeError(JSON.parse(JSON.stringify(bad({ timestamp: 5 }))) as never)).toBe(
      '/schemaMigrations/conversation-schema-v2/upgrade/copyToMessages/timestamp must be a string',
    );
    expect(buildTable(bad({ timestamp: 5 }), meta)).toMatchObject({ ok: false, code: 'PAYLOAD_INVALID' });
    expect(payloadShapeError(JSON.parse(JSON.stringify(bad({ timestamp: 'createdAt' }))) as never)).toBeUndefined();
  });
});
