/**
 * The `storage:` block in rollouts/*.yaml: validated by the schema (names are identifiers, with
 * file and line on error), handed to the runner by the plan, and kept out of the bundle (only the
 * runner reads the application's table).
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadProject } from '../../../src/config/index.ts';
import { selectConversationMigration, toPayloadMigration } from '../../../src/migrate/conversations/index.ts';

const REPO = resolve(import.meta.dirname, '../../..');
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function projectWith(storageYaml: string) {
  const dir = mkdtempSync(join(tmpdir(), 'sy-conv-plan-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'rollouts'));
  copyFileSync(join(REPO, 'switchyard.yaml'), join(dir, 'switchyard.yaml'));
  const plan = readFileSync(join(REPO, 'rollouts/conversation-schema-v2.yaml'), 'utf8');
  writeFileSync(join(dir, 'rollouts/conversation-schema-v2.yaml'), `${plan.trimEnd()}\n${storageYaml}`);
  return loadProject(dir);
}

describe('storage: in a SchemaMigration', () => {
  it('reaches the runner through the plan, with the file, and stays out of the bundle payload', async () => {
    const loaded = await projectWith(
      'storage:\n  table: app.chat_threads\n  key: thread_id\n  record: payload\n  version: payload_version\n  updatedAt: modified_at\n',
    );
    expect(loaded.errors).toEqual([]);
    const plan = selectConversationMigration(loaded.value as NonNullable<typeof loaded.value>);
    if (!plan.ok) throw new Error(plan.message);
    expect(plan.storage).toEqual({
      table: 'app.chat_threads',
      key: 'thread_id',
      record: 'payload',
      version: 'payload_version',
      updatedAt: 'modified_at',
    });
    expect(plan.source).toBe('rollouts/conversation-schema-v2.yaml');
    expect(plan.migration).not.toHaveProperty('storage');
    const resource = loaded.value?.rollouts.get('conversation-schema-v2');
    expect(resource?.kind).toBe('SchemaMigration');
    expect(JSON.stringify(toPayloadMigration(resource as never))).not.toContain('chat_threads');
  });

  it('without storage the plan has none (Switchyard’s own table)', async () => {
    const loaded = await projectWith('');
    const plan = selectConversationMigration(loaded.value as NonNullable<typeof loaded.value>);
    expect(plan.ok && plan.storage).toBe(undefined);
  });

  it.each([
    ['table', 'table: "app.chat; drop"\n  key: k\n  record: r', 25],
    ['key', 'table: t\n  key: "Thread Id"\n  record: r', 26],
    ['record', 'table: t\n  key: k\n  record: "r\\""', 27],
  ])('a storage.%s that is not an identifier is E_SCHEMA at its line', async (field, body, line) => {
    const loaded = await projectWith(`storage:\n  ${body}\n`);
    const error = loaded.errors.find((e) => e.code === 'E_SCHEMA');
    expect(error).toMatchObject({ file: 'rollouts/conversation-schema-v2.yaml', line });
    expect(error?.message).toContain(`storage.${field}`);
  });

  it('table, key and record are required; unknown keys are refused', async () => {
    const loaded = await projectWith('storage:\n  table: t\n  colum: x\n');
    expect(loaded.errors.map((e) => [e.code, e.message])).toEqual([
      ['E_MISSING_KEY', "missing required key 'key' in storage."],
      ['E_MISSING_KEY', "missing required key 'record' in storage."],
      ['E_UNKNOWN_KEY', "unknown key 'colum' in storage."],
    ]);
  });
});
