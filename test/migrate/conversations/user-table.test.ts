/**
 * Migrations on the application's own tables (issue 14, item 4): a SchemaMigration's `storage:`
 * names a table Switchyard did not create — its own name, key, record column (jsonb, json or text)
 * and version (a column, or inside the record) — and the background runner dry-runs, runs, resumes
 * and verifies on it, on PGlite and PostgreSQL. Checkpoints stay in Switchyard's schema.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPgClient, openTableReader, quoteIdent, type SqlClient, type SqlExecutor } from '@switchyard/data';
import { runConversationMigration, type LockSession } from '../../../src/migrate/conversations/index.ts';
import { V2, checkpoint, dropSchema, openBackend, PG_URL, uniqueSchema, type Backend } from './helpers.ts';
import { APP_TABLES, VERSION_COLUMN, expectedAfter, type AppTable } from './user-table-fixtures.ts';
import { needs } from '../../helpers/capabilities.ts';

const postgres = await needs('postgres');

const N = 700;
const migration = { ...V2, batchSize: 100 };

for (const backend of ['pglite', 'postgres'] satisfies Backend[])
  describe.skipIf(backend === 'postgres' && postgres.skip)(
    backend === 'postgres'
      ? postgres.title('migrations on application tables (postgres)')
      : 'migrations on application tables (pglite)',
    () => {
      let client: SqlClient;
      let lockSession: LockSession | undefined;
      let done: () => Promise<void>;
      /** Switchyard's schema (the checkpoints) for this backend. */
      let schema: string;
      const appSchemas: string[] = [];

      /** A fresh application schema holding `table`, seeded with N legacy records. */
      const fresh = async (table: AppTable, count = N): Promise<string> => {
        const s = uniqueSchema('app');
        appSchemas.push(s);
        await table.create(client, s);
        await table.seed(client, s, count);
        return s;
      };
      const run = (table: AppTable, app: string, extra: Partial<Parameters<typeof runConversationMigration>[1]> = {}) =>
        runConversationMigration(client, {
          lock: lockSession,
          migration: { ...migration, id: `conv-${app}` },
          schema,
          storage: table.storage(app),
          ...extra,
        });

      beforeAll(async () => {
        ({ client, lockSession, done, schema } = await openBackend(backend, 'conv_user'));
      });
      afterAll(async () => {
        if (backend === 'postgres') for (const s of appSchemas) await dropSchema(s);
        await done();
      });

      for (const table of APP_TABLES) {
        it(`${table.label}: dry run writes nothing, the run upgrades every record, a second run finds nothing`, async () => {
          const app = await fresh(table);
          const before = await table.read(client, app);
          const dry = await run(table, app, { dryRun: true, sampleSize: 1 });
          expect(dry).toMatchObject({
            dryRun: true,
            total: N,
            remaining: N,
            table: `${app}.${table.storage(app).table.split('.')[1]}`,
          });
          expect(dry.counters).toMatchObject({ scanned: N, upgraded: N, failed: 0 });
          expect(dry.samples).toHaveLength(1);
          expect(await table.read(client, app)).toEqual(before);

          const report = await run(table, app);
          expect(report).toMatchObject({ complete: true, remaining: 0, total: N });
          expect(report.counters).toMatchObject({ scanned: N, upgraded: N, failed: 0, conflicts: 0 });
          expect(report.before).toEqual([
            { schemaVersion: null, count: N - Math.ceil(N / 3) },
            { schemaVersion: 1, count: Math.ceil(N / 3) },
          ]);
          const after = await table.read(client, app);
          for (let i = 0; i < N; i++) expect(after.get(table.keyOf(i))).toEqual(expectedAfter(i));
          expect(await checkpoint(client, schema, `conv-${app}`)).toMatchObject({ status: 'complete' });

          const again = await run(table, app, { restart: true });
          expect(again.counters).toMatchObject({ scanned: 0, upgraded: 0 });
          expect(await table.read(client, app)).toEqual(after);
        });
      }

      it('the version column moves with the upgrade; the record JSON gains no schemaVersion it did not have', async () => {
        const app = await fresh(VERSION_COLUMN, 30);
        await run(VERSION_COLUMN, app);
        const rows = await client.query<{ v: number; has: boolean; bumped: boolean }>(
          `SELECT payload_version AS v, payload ? 'schemaVersion' AS has, modified_at > now() - interval '1 hour' AS bumped FROM ${quoteIdent(app)}.chat_threads`,
        );
        expect(rows.every((r) => r.v === 2 && !r.has && r.bumped)).toBe(true);
      });

      it('an interrupted run resumes after its last committed batch (integer keys keep numeric order)', async () => {
        for (const table of APP_TABLES) {
          const app = await fresh(table);
          const stop = new AbortController();
          const first = await run(table, app, {
            signal: stop.signal,
            onProgress: (p) => {
              if (p.scanned >= 300) stop.abort();
            },
          });
          expect(first).toMatchObject({ interrupted: true, complete: false });
          // Keys are compared as the column's type: integer keys in numeric order, not text order.
          expect(await checkpoint(client, schema, `conv-${app}`)).toMatchObject({
            status: 'running',
            last_id: table.keyOf(299),
          });
          const second = await run(table, app);
          expect(second.resumed).toMatchObject({ after: table.keyOf(299), counters: { scanned: 300, upgraded: 300 } });
          expect(second.counters.scanned).toBe(N - 300);
          expect(second.cumulative).toMatchObject({ scanned: N, upgraded: N });
          const after = await table.read(client, app);
          for (let i = 0; i < N; i++) expect(after.get(table.keyOf(i))).toEqual(expectedAfter(i));
        }
      });

      it('the lazy path on the application table: a read upgrades and writes back; the run does the rest', async () => {
        for (const table of APP_TABLES) {
          const app = await fresh(table, 120);
          const events: unknown[] = [];
          const reader = await openTableReader(client, {
            storage: table.storage(app),
            migration: () => V2,
            onEvent: (e) => events.push(e),
          });
          for (let i = 0; i < 40; i++) {
            const read = await reader.get(table.keyOf(i));
            expect(read?.upgrade).toEqual({ status: 'upgraded', from: 1, to: 2, written: true });
            expect(read?.record).toEqual(expectedAfter(i));
          }
          expect(await reader.get(table.keyOf(0))).toMatchObject({ upgrade: { status: 'current', version: 2 } });
          expect(await reader.get(table.keyOf(5000))).toBeNull();
          expect(events).toHaveLength(40);
          expect(events[0]).toMatchObject({
            migration: 'schema',
            key: V2.id,
            subjectId: table.keyOf(0),
            from: '1',
            to: '2',
          });
          // Lazy and background agree: the run upgrades only the 80 rows nobody read.
          const report = await runConversationMigration(client, {
            lock: lockSession,
            migration: { ...migration, id: `conv-${app}` },
            schema,
            storage: table.storage(app),
          });
          expect(report.counters).toMatchObject({ scanned: 80, upgraded: 80 });
          const after = await table.read(client, app);
          for (let i = 0; i < 120; i++) expect(after.get(table.keyOf(i))).toEqual(expectedAfter(i));
        }
        const bigintKeys = await fresh(VERSION_COLUMN, 1);
        const reader = await openTableReader(client, {
          storage: VERSION_COLUMN.storage(bigintKeys),
          migration: V2,
        });
        await expect(reader.get('not-a-number')).rejects.toMatchObject({ code: 'E_CONVERSATION_INVALID' });
      });

      it('an application write between the runner read and write is kept: the row is read again and upgraded on top', async () => {
        // PostgreSQL: the application writes on its own connection. PGlite is one connection: the
        // write goes through the runner's transaction, just before its batch UPDATE, the same moment.
        const appClient = backend === 'postgres' ? openPgClient({ connectionString: PG_URL }) : null;
        try {
          for (const table of APP_TABLES) {
            const app = await fresh(table, 250);
            const target = `${quoteIdent(app)}.`;
            const hit: string[] = [];
            const racing: SqlClient = {
              ...client,
              transaction: (fn) =>
                client.transaction((tx) => {
                  let firstWrite = true; // the batch's write, not the runner's retry of the rows it lost
                  const wrapped: SqlExecutor = {
                    exec: (text) => tx.exec(text),
                    async query<R extends object>(text: string, params?: unknown[]) {
                      if (
                        text.trimStart().startsWith('UPDATE') &&
                        text.includes(target) &&
                        firstWrite &&
                        hit.length < 2
                      ) {
                        firstWrite = false;
                        const first = (JSON.parse(String(params?.[0])) as Array<{ id: string }>)[0]?.id as string;
                        hit.push(first);
                        await table.appWrite(
                          appClient ?? tx,
                          app,
                          first,
                          `written by the app during batch ${hit.length}`,
                        );
                      }
                      return tx.query<R>(text, params);
                    },
                  };
                  return fn(wrapped);
                }),
            };
            const report = await runConversationMigration(racing, {
              lock: lockSession,
              migration: { ...migration, id: `conv-${app}` },
              schema,
              storage: table.storage(app),
            });
            expect(hit).toEqual([table.keyOf(0), table.keyOf(100)]);
            expect(report.counters).toMatchObject({ upgraded: 250, retried: 2, conflicts: 0, failed: 0 });
            const after = await table.read(client, app);
            for (const [n, key] of hit.entries()) {
              const record = after.get(key) as { schemaVersion: number; messages: Array<Record<string, unknown>> };
              expect(record.schemaVersion).toBe(2);
              // The application's message survived and was upgraded like the others (model filled in).
              expect(record.messages.at(-1)).toMatchObject({
                role: 'user',
                content: `written by the app during batch ${n + 1}`,
                model: V2.upgrade.addToMessages.model,
              });
              expect(record.messages).toHaveLength(3);
            }
          }
        } finally {
          await appClient?.close();
        }
      });
    },
  );
