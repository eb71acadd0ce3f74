import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.ts';
import type { MigrationReport } from '../../../src/migrate/conversations/index.ts';
import { defaultStoreDir } from '@switchyard/data';
import { openPgliteClient } from '@switchyard/data';
import { dump, seed } from './helpers.ts';

const REPO = resolve(import.meta.dirname, '../../..');

function io(cwd: string, env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t), cwd, env } };
}

describe('switchyard migrate conversations (embedded PGlite, in process)', () => {
  const root = mkdtempSync(join(tmpdir(), 'sy-conv-cli-'));

  beforeAll(async () => {
    mkdirSync(join(root, 'rollouts'));
    copyFileSync(join(REPO, 'switchyard.yaml'), join(root, 'switchyard.yaml'));
    copyFileSync(
      join(REPO, 'rollouts/conversation-schema-v2.yaml'),
      join(root, 'rollouts/conversation-schema-v2.yaml'),
    );
    const client = await openPgliteClient(defaultStoreDir(root));
    await seed(client, 'switchyard', 600);
    await client.close();
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('dry run (json) reports and changes nothing; the run upgrades; a second run finds nothing to do', async () => {
    const dry = io(root);
    expect(await main(['migrate', 'conversations', '--dry-run', '--format', 'json', '--quiet'], dry.io)).toBe(1); // 2 records cannot be upgraded
    const report = JSON.parse(dry.out.join('')) as MigrationReport & { env: string | null };
    expect(report).toMatchObject({
      dryRun: true,
      migration: 'conversation-schema-v2',
      backend: 'pglite',
      batchSize: 500,
      total: 603,
    });
    expect(report.counters.upgraded).toBe(601);
    expect(dry.err).toEqual([]);

    const run = io(root);
    expect(await main(['migrate', 'conversations', 'conversation-schema-v2', '--env', 'production'], run.io)).toBe(1);
    expect(run.out.join('')).toContain('upgraded: 601 of 603 records examined');
    expect(run.out.join('')).toContain('records not at v2: 2');
    expect(run.err.join('\n')).toMatch(
      /conversation-schema-v2 \[#+\] 100% 603\/603 records · .* elapsed · upgraded 601 · failed 2/,
    ); // non-TTY: progress lines
    const client = await openPgliteClient(defaultStoreDir(root));
    const after = await dump(client, 'switchyard');
    await client.close();

    const again = io(root);
    expect(await main(['migrate', 'conversations', '--format', 'json', '--quiet'], again.io)).toBe(1);
    expect((JSON.parse(again.out.join('')) as MigrationReport).counters).toMatchObject({ scanned: 2, upgraded: 0 });
    const client2 = await openPgliteClient(defaultStoreDir(root));
    expect(await dump(client2, 'switchyard')).toEqual(after);
    await client2.close();
  });

  it('says clearly when the embedded database is open in another process', async () => {
    const holder = await openPgliteClient(defaultStoreDir(root));
    try {
      const t = io(root);
      expect(await main(['migrate', 'conversations', '--quiet'], t.io)).toBe(1);
      expect(t.err.join('')).toMatch(/E_STORE_LOCKED .*one process at a time.*--database-url/);
    } finally {
      await holder.close();
    }
  });

  it('usage and plan errors', async () => {
    const cases: Array<[string[], number, RegExp]> = [
      [['--format', 'xml'], 2, /--format must be text or json/],
      [['--batch-size', '0'], 2, /--batch-size must be an integer ≥ 1/],
      [['--env', 'moon'], 2, /unknown environment 'moon'/],
      [['--migration', 'nope'], 1, /E_MIGRATE_UNKNOWN no SchemaMigration 'nope'.*known: conversation-schema-v2/],
      [['a', '--migration', 'b'], 2, /two migration ids/],
    ];
    for (const [args, code, message] of cases) {
      const t = io(root);
      expect(await main(['migrate', 'conversations', ...args], t.io), args.join(' ')).toBe(code);
      expect(t.err.join('\n'), args.join(' ')).toMatch(message);
    }
    writeFileSync(
      join(root, 'rollouts/conversation-schema-v3.yaml'),
      'kind: SchemaMigration\nmigration: conversation-schema-v3\nentity: conversation\nfrom: 2\nto: 3\nmode: lazy\nupgrade:\n  add:\n    locale: en\nbatchSize: 100\n',
    );
    try {
      const t = io(root);
      expect(await main(['migrate', 'conversations', '--quiet'], t.io)).toBe(2);
      expect(t.err.join('')).toMatch(/E_MIGRATE_AMBIGUOUS .*--migration <id>/);
    } finally {
      rmSync(join(root, 'rollouts/conversation-schema-v3.yaml'));
    }
  });
});
