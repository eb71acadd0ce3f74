import { describe, expect, it } from 'vitest';
import { compileBundle } from '../../src/bundle/compile.ts';
import { verifyPayload } from '../../src/bundle/runtime-format.ts';
import type { SchemaMigrationResource } from '../../src/config/types.ts';
import { selectConversationMigration } from '../../src/migrate/conversations/plan.ts';
import { upgradeRecord } from '@switchyard/runtime';
import { demoProject } from './project-fixture.ts';

const COMMIT = '0123456789abcdef0123456789abcdef01234567';
const ID = 'conversation-schema-v2';

function withCopy(copyToMessages: Record<string, string> | undefined) {
  const project = demoProject();
  const plan = project.rollouts.get(ID) as SchemaMigrationResource;
  project.rollouts.set(ID, { ...plan, upgrade: { ...plan.upgrade, ...(copyToMessages ? { copyToMessages } : {}) } });
  return project;
}

describe('SchemaMigration copyToMessages in the bundle', () => {
  it('is compiled into the payload, verifies, and the runtime applies it; the migrate command runs the same plan', () => {
    const project = withCopy({ timestamp: 'createdAt' });
    const r = compileBundle(project, { env: 'production', commit: COMMIT });
    expect(r.errors).toEqual([]);
    const { payload, bytes, sha256 } = r.value!;
    const m = payload.schemaMigrations[ID]!;
    expect(m.upgrade.copyToMessages).toEqual({ timestamp: 'createdAt' });
    const verified = verifyPayload(bytes, { sha256, length: bytes.byteLength, env: 'production', commit: COMMIT });
    expect(verified.ok).toBe(true);
    const up = upgradeRecord(m, {
      id: 'c',
      created: '2024-05-01T00:00:00Z',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(up.ok && up.record.messages).toEqual([
      { role: 'user', content: 'hi', timestamp: '2024-05-01T00:00:00Z', model: 'gpt-4o-2024-05-13' },
    ]);
    const plan = selectConversationMigration(project);
    expect(plan.ok && plan.migration).toEqual(m);
  });

  it('a plan without it compiles to the same bytes as before the field existed (no empty copyToMessages)', () => {
    const without = compileBundle(withCopy(undefined), { env: 'production', commit: COMMIT }).value!;
    const empty = compileBundle(withCopy({}), { env: 'production', commit: COMMIT }).value!;
    expect(without.payload.schemaMigrations[ID]!.upgrade).not.toHaveProperty('copyToMessages');
    expect(new TextDecoder().decode(without.bytes)).not.toContain('copyToMessages');
    expect(Buffer.from(empty.bytes).equals(Buffer.from(without.bytes))).toBe(true);
  });
});
