import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openConversationRepository } from '@switchyard/data';
import {
  acquireRunLock,
  openLockSession,
  renderReport,
  runConversationMigration,
  type LockSession,
} from '../../../src/migrate/conversations/index.ts';
import type { SqlClient } from '@switchyard/data';
import {
  ODD_RECORDS,
  PG_URL,
  V2,
  checkpoint,
  dropSchema,
  dump,
  legacyRecord,
  openBackend,
  seed,
  uniqueSchema,
  type Backend,
} from './helpers.ts';
import { needs } from '../../helpers/capabilities.ts';
import { waitFor } from '../../helpers/wait-for.ts';

const postgres = await needs('postgres');

const N = 1500;
const migration = { ...V2, batchSize: 200 };

for (const backend of ['pglite', 'postgres'] satisfies Backend[])
  describe.skipIf(backend === 'postgres' && postgres.skip)(
    backend === 'postgres'
      ? postgres.title(`conversation migration runner on postgres`)
      : `conversation migration runner on pglite`,
    () => {
      let client: SqlClient;
      let lockSession: LockSession | undefined;
      let done: () => Promise<void>;
      const schemas: string[] = [];
      const fresh = async (label: string, count = N): Promise<string> => {
        const s = uniqueSchema(label);
        schemas.push(s);
        await seed(client, s, count);
        return s;
      };

      beforeAll(async () => {
        ({ client, lockSession, done } = await openBackend(backend, 'conv_run'));
      });
      afterAll(async () => {
        if (backend === 'postgres') for (const s of schemas) await dropSchema(s);
        await done();
      });

      it('dry run reports what would change and writes nothing', async () => {
        const s = await fresh('dry');
        const before = await dump(client, s);
        const report = await runConversationMigration(client, {
          lock: lockSession,
          migration,
          schema: s,
          dryRun: true,
          sampleSize: 2,
        });
        expect(await dump(client, s)).toEqual(before);
        expect(await checkpoint(client, s, V2.id)).toBeUndefined();
        expect(report).toMatchObject({ dryRun: true, total: N + 3, remaining: N + 3, complete: true });
        expect(report.counters).toMatchObject({ scanned: N + 3, upgraded: N + 1, failed: 2 });
        expect(report.byVersion).toEqual({
          missing: N - Math.ceil(N / 3),
          '1': Math.ceil(N / 3) + 1,
          '7': 1,
          '"1"': 1,
        });
        expect(report.problemsByCode).toEqual({ VERSION_MISMATCH: 2 });
        expect(report.problems.map((p) => p.id).sort()).toEqual(['odd-future', 'odd-string-version']);
        expect(report.changes.renamed).toEqual({ 'created → createdAt': N });
        expect(report.changes.renameKeptBoth).toEqual({ 'created → createdAt': 1 });
        expect(report.changes.added).toMatchObject({ modelVersion: N + 1, metadata: N + 1 - Math.ceil(N / 7) });
        expect(report.changes.messageFieldsAdded).toEqual({ model: 2 * N + 1 });
        expect(report.changes.messageFieldsCopied).toEqual({ 'createdAt → timestamp': 2 * N + 1 });
        expect(report.changes.messageFieldsNotFilled).toEqual({});
        expect(report.changes.removed).toEqual({});
        expect(report.samples).toHaveLength(2);
        expect(report.samples[0]?.diff).toContainEqual({ op: 'rename', path: 'created', to: 'createdAt' });
        expect(report.samples[0]?.diff).toContainEqual({
          op: 'add',
          path: 'messages[0].model',
          value: 'gpt-4o-2024-05-13',
        });
        expect(report.samples[0]?.diff).toContainEqual({
          op: 'add',
          path: 'messages[0].timestamp',
          value: legacyRecord(0).created,
        });
        const text = renderReport(report);
        expect(text).toContain('DRY RUN (nothing written)');
        expect(text).toContain('rename created → createdAt');
        expect(text).toMatch(/odd-future +VERSION_MISMATCH: record is at 7/);
        expect(text).toMatch(/messages: copy createdAt → timestamp +3,001 messages/);

        const empty = uniqueSchema('nothing');
        const none = await runConversationMigration(client, {
          lock: lockSession,
          migration,
          schema: empty,
          dryRun: true,
        });
        expect(none).toMatchObject({ total: 0, complete: true });
        expect(
          (
            await client.query<{ n: string }>(
              `SELECT count(*) AS n FROM information_schema.schemata WHERE schema_name = $1`,
              [empty],
            )
          )[0]?.n,
        ).toEqual(backend === 'postgres' ? '0' : 0);
      });

      it('running twice gives byte-identical records to running once, and unknown fields survive', async () => {
        const once = await fresh('once');
        const twice = await fresh('twice');
        const r1 = await runConversationMigration(client, { lock: lockSession, migration, schema: once });
        expect(r1).toMatchObject({ complete: true, remaining: 2 });
        expect(r1.counters).toMatchObject({ upgraded: N + 1, failed: 2, conflicts: 0 });
        await runConversationMigration(client, { lock: lockSession, migration, schema: twice });
        const second = await runConversationMigration(client, { lock: lockSession, migration, schema: twice });
        expect(second.counters).toMatchObject({ scanned: 2, upgraded: 0, failed: 2 }); // only the two it cannot upgrade are looked at again
        expect(await dump(client, twice)).toEqual(await dump(client, once));
        expect(await checkpoint(client, once, V2.id)).toMatchObject({
          status: 'complete',
          upgraded: backend === 'postgres' ? String(N + 1) : N + 1,
        });

        const rows = new Map(
          (await dump(client, once)).map((r) => [r.id, JSON.parse(r.text) as Record<string, unknown>]),
        );
        for (const i of [0, 5, 7, 35, N - 1]) {
          const original = legacyRecord(i);
          const upgraded = rows.get(original.id as string) as Record<string, unknown>;
          expect(upgraded.schemaVersion).toBe(2);
          expect(upgraded.createdAt).toBe(original.created);
          expect(upgraded.extra).toEqual(original.extra); // nested unknown fields
          expect(upgraded.metadata).toEqual(original.metadata ?? {}); // an existing value wins over the default
          const om = original.messages as Array<Record<string, unknown>>;
          expect(upgraded.messages).toEqual(
            om.map((m) => ({ ...m, model: 'gpt-4o-2024-05-13', timestamp: original.created })),
          );
        }
        // Records it cannot upgrade are kept exactly as they were.
        const untouched = (await dump(client, once))
          .filter((r) => r.id === 'odd-future' || r.id === 'odd-string-version')
          .map((r) => JSON.parse(r.text) as unknown);
        expect(untouched).toEqual([ODD_RECORDS[0], ODD_RECORDS[1]]);
        const both = rows.get('odd-both') as Record<string, unknown>;
        expect(both).toMatchObject({
          created: '2024-01-01T00:00:00Z',
          createdAt: '2024-02-02T00:00:00Z',
          schemaVersion: 2,
        });
        // The copy reads the record after the rename: here createdAt was kept, so it is the source.
        expect(both.messages).toEqual([
          'not an object',
          { role: 'user', content: 'x', model: 'gpt-4o-2024-05-13', timestamp: '2024-02-02T00:00:00Z' },
        ]);
      });

      it('messages whose record has no createdAt keep no timestamp: the dry run reports them, the run upgrades them, nothing is dropped', async () => {
        const s = uniqueSchema('nocreated');
        schemas.push(s);
        await seed(client, s, 0);
        const repo = await openConversationRepository(client, { schema: s });
        const stamped = { role: 'user', content: 'has its own', timestamp: '2023-03-03T03:03:03Z' };
        await repo.importRecords([
          {
            id: 'a-null',
            userId: 'u',
            createdAt: null,
            messages: [
              { role: 'user', content: 'x' },
              { role: 'assistant', content: 'y' },
            ],
          },
          { id: 'b-none', userId: 'u', messages: [{ role: 'user', content: 'x' }, stamped] },
          {
            id: 'c-ok',
            userId: 'u',
            created: '2025-01-01T00:00:00Z',
            messages: [{ role: 'user', content: 'x' }, stamped],
          },
        ]);
        const dry = await runConversationMigration(client, { lock: lockSession, migration, schema: s, dryRun: true });
        expect(dry.changes.messageFieldsCopied).toEqual({ 'createdAt → timestamp': 2 }); // c-ok and the seed's odd-both
        expect(dry.changes.messageFieldsNotFilled).toEqual({
          'createdAt → timestamp': { messages: 3, records: 2, ids: ['a-null', 'b-none'] },
        });
        expect(dry.problemsByCode).toEqual({ VERSION_MISMATCH: 2 }); // only the two odd records: a gap is not a problem
        expect(renderReport(dry)).toContain(
          'messages: NOT FILLED createdAt → timestamp  3 messages in 2 records without createdAt (kept as they are; e.g. a-null, b-none)',
        );
        const run = await runConversationMigration(client, { lock: lockSession, migration, schema: s });
        expect(run.counters).toMatchObject({ upgraded: 4, failed: 2 });
        const rows = new Map((await dump(client, s)).map((r) => [r.id, JSON.parse(r.text) as Record<string, unknown>]));
        expect(rows.get('a-null')).toMatchObject({
          schemaVersion: 2,
          createdAt: null,
          messages: [
            { role: 'user', content: 'x', model: 'gpt-4o-2024-05-13' },
            { role: 'assistant', content: 'y', model: 'gpt-4o-2024-05-13' },
          ],
        });
        expect(rows.get('b-none')?.messages).toEqual([
          { role: 'user', content: 'x', model: 'gpt-4o-2024-05-13' },
          { ...stamped, model: 'gpt-4o-2024-05-13' },
        ]);
        expect(rows.get('c-ok')?.messages).toEqual([
          { role: 'user', content: 'x', model: 'gpt-4o-2024-05-13', timestamp: '2025-01-01T00:00:00Z' },
          { ...stamped, model: 'gpt-4o-2024-05-13' },
        ]);
      });

      it('the lazy path on read gives the same records as the background run', async () => {
        const background = await fresh('bg', 400);
        const lazy = await fresh('lazy', 400);
        await runConversationMigration(client, { lock: lockSession, migration, schema: background });
        const repo = await openConversationRepository(client, { schema: lazy, migration: () => V2 });
        for (const { id } of await dump(client, lazy)) await repo.get(id);
        expect(await dump(client, lazy)).toEqual(await dump(client, background));
      });

      it('an interrupted run resumes after its last committed batch and ends like an uninterrupted one', async () => {
        const whole = await fresh('whole');
        const parts = await fresh('parts');
        await runConversationMigration(client, { lock: lockSession, migration, schema: whole });
        const abort = new AbortController();
        const first = await runConversationMigration(client, {
          lock: lockSession,
          migration,
          schema: parts,
          signal: abort.signal,
          onProgress: (p) => {
            if (p.scanned >= 400) abort.abort();
          },
        });
        expect(first).toMatchObject({ interrupted: true, complete: false });
        expect(first.counters.scanned).toBe(400);
        expect(await checkpoint(client, parts, V2.id)).toMatchObject({ status: 'running', last_id: 'c-000399' });
        const second = await runConversationMigration(client, { lock: lockSession, migration, schema: parts });
        expect(second.resumed).toMatchObject({ after: 'c-000399', counters: { scanned: 400, upgraded: 400 } });
        expect(second.counters.scanned).toBe(N + 3 - 400);
        expect(second.cumulative).toMatchObject({ scanned: N + 3, upgraded: N + 1, failed: 2 });
        expect(await dump(client, parts)).toEqual(await dump(client, whole));
        // --restart after completion, or a fresh run: starts over and finds nothing more to do.
        const again = await runConversationMigration(client, {
          lock: lockSession,
          migration,
          schema: parts,
          restart: true,
        });
        expect(again.resumed).toBeNull();
        expect(again.counters.upgraded).toBe(0);
      });
      it("one run at a time: a second run (even with restart) stops with E_MIGRATE_RUNNING and leaves the first one's checkpoint alone", async () => {
        const s = await fresh('lock', 600);
        const stop = new AbortController();
        let batches = 0;
        // The first run pauses "forever" after each batch; Ctrl-C (the signal) wakes it and stops it.
        const first = runConversationMigration(client, {
          lock: lockSession,
          migration: { ...migration, batchSize: 100 },
          schema: s,
          pauseMs: 600_000,
          signal: stop.signal,
          onProgress: (p) => {
            if (!p.done && p.scanned > 0) batches++;
          },
        });
        await waitFor('a committed batch', () => batches >= 1);
        const atStart = await checkpoint(client, s, V2.id);
        expect(atStart).toMatchObject({ status: 'running', last_id: 'c-000099' });

        // A second runner: on PostgreSQL its own connection (another process, as far as the server knows).
        const other = backend === 'postgres' ? await openLockSession(PG_URL, 'conversations') : undefined;
        try {
          for (const restart of [false, true]) {
            const second = await runConversationMigration(client, { lock: other, migration, schema: s, restart }).then(
              () => null,
              (e: unknown) => e,
            );
            expect(second).toMatchObject({ code: 'E_MIGRATE_RUNNING' });
            expect((second as Error).message).toContain(
              backend === 'postgres' ? "application 'switchyard migrate conversations'" : 'in this process',
            );
          }
          expect(await checkpoint(client, s, V2.id)).toEqual(atStart); // --restart did not reset it
          // Another schema, or another migration id, is another lock.
          const elsewhere = await fresh('lock_other', 10);
          expect(await runConversationMigration(client, { lock: other, migration, schema: elsewhere })).toMatchObject({
            complete: true,
          });

          stop.abort();
          const stopped = await first;
          expect(stopped).toMatchObject({ interrupted: true, complete: false });
          expect(stopped.counters.scanned).toBe(100);
          // Released: the next run resumes the first one's checkpoint.
          const resumed = await runConversationMigration(client, { lock: other, migration, schema: s });
          expect(resumed).toMatchObject({ complete: true, resumed: { after: 'c-000099' } });
          expect(resumed.cumulative).toMatchObject({ scanned: 603, upgraded: 601 });
        } finally {
          await other?.close();
        }
      });

      it('a lock held elsewhere refuses the run before anything is written; released, the run proceeds', async () => {
        const s = await fresh('held', 50);
        const before = await dump(client, s);
        const holderSession = backend === 'postgres' ? await openLockSession(PG_URL, 'conversations') : client;
        const held = await acquireRunLock(holderSession, { kind: 'conversations', schema: s, migration: V2.id });
        try {
          await expect(
            runConversationMigration(client, { lock: lockSession, migration, schema: s }),
          ).rejects.toMatchObject({ code: 'E_MIGRATE_RUNNING' });
          expect(await dump(client, s)).toEqual(before);
          expect(await checkpoint(client, s, V2.id)).toBeUndefined();
          // On PostgreSQL a library call must say where the lock lives (a pool has no session to hold it).
          if (backend === 'postgres')
            await expect(runConversationMigration(client, { migration, schema: s })).rejects.toMatchObject({
              code: 'E_MIGRATE_LOCK_SESSION',
            });
          // A dry run reads only: it takes no lock.
          expect(
            await runConversationMigration(client, { lock: lockSession, migration, schema: s, dryRun: true }),
          ).toMatchObject({ complete: true });
        } finally {
          await held.release();
          if (holderSession !== client) await (holderSession as LockSession).close();
        }
        expect(await runConversationMigration(client, { lock: lockSession, migration, schema: s })).toMatchObject({
          complete: true,
          remaining: 2,
        });
      });

      // PostgreSQL only (registered, not skipped, on PGlite): PGlite's session cannot be cut from outside.
      if (backend === 'postgres')
        it('the run stops with E_MIGRATE_LOCK_LOST when its lock connection dies, progress kept', async () => {
          const s = await fresh('lost', 300);
          const session = await openLockSession(PG_URL, 'conversations');
          const pid = (await session.query<{ pid: number }>('SELECT pg_backend_pid() AS pid'))[0]?.pid;
          const stop = new AbortController();
          let batches = 0;
          const run = runConversationMigration(client, {
            lock: session,
            migration: { ...migration, batchSize: 100 },
            schema: s,
            pauseMs: 600_000,
            signal: stop.signal,
            onProgress: (p) => {
              if (!p.done && p.scanned > 0) batches++;
            },
          }).then(
            () => null,
            (e: unknown) => e,
          );
          await waitFor('a committed batch', () => batches >= 1);
          await client.query('SELECT pg_terminate_backend($1)', [pid]);
          await waitFor('the lock session to notice its loss', () => session.lost);
          stop.abort(); // wakes the pause; the lost lock is checked before the stop request
          expect(await run).toMatchObject({ code: 'E_MIGRATE_LOCK_LOST' });
          expect(await checkpoint(client, s, V2.id)).toMatchObject({ status: 'running', last_id: 'c-000099' });
          await session.close();
          const resumed = await runConversationMigration(client, { lock: lockSession, migration, schema: s });
          expect(resumed).toMatchObject({ complete: true, resumed: { after: 'c-000099' } });
        });
    },
  );
