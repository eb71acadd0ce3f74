/**
 * Application writes during the background run are never lost: the runner's batch write is
 * conditional on each row's revision, and a row the application changed meanwhile is read again and
 * upgraded on top of that change. PostgreSQL only: the application and the runner need two
 * connections (PGlite is one connection in one process).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openConversationRepository, type ConversationRepository } from '@switchyard/data';
import {
  openLockSession,
  runConversationMigration,
  type LockSession,
} from '../../../src/migrate/conversations/index.ts';
import { openPgClient } from '@switchyard/data';
import type { SqlClient, SqlExecutor } from '@switchyard/data';
import { PG_URL, V2, dropSchema, dump, seed, uniqueSchema } from './helpers.ts';
import { needs } from '../../helpers/capabilities.ts';

const postgres = await needs('postgres');

const migration = { ...V2, batchSize: 100 };

describe.skipIf(postgres.skip)(postgres.title('application writes during the background run (PostgreSQL)'), () => {
  let runnerClient: SqlClient;
  let appClient: SqlClient;
  let lockSession: LockSession;
  const schemas: string[] = [];

  beforeAll(async () => {
    runnerClient = openPgClient({ connectionString: PG_URL });
    appClient = openPgClient({ connectionString: PG_URL });
    lockSession = await openLockSession(PG_URL, 'conversations');
  });
  afterAll(async () => {
    await lockSession.close();
    await runnerClient.close();
    await appClient.close();
    for (const s of schemas) await dropSchema(s);
  });

  it('a row written by the application between the runner read and write is re-read, not overwritten', async () => {
    const schema = uniqueSchema('conv_race');
    schemas.push(schema);
    await seed(runnerClient, schema, 300);
    // An application instance that does not know the migration yet (writes v1 records), and one that does.
    const oldApp = await openConversationRepository(appClient, { schema, schemaVersion: 1, skipSchemaSetup: true });
    const newApp = await openConversationRepository(appClient, { schema, migration: V2, skipSchemaSetup: true });
    const hits: Array<{ id: string; app: ConversationRepository; label: string }> = [];
    let batchWrites = 0;
    // Just before each of the first two batch writes, the application writes the batch's first row.
    const racing: SqlClient = {
      ...runnerClient,
      transaction: (fn) =>
        runnerClient.transaction((tx) => {
          let firstWrite = true; // only the batch's first write, not the runner's retry of it
          const wrapped: SqlExecutor = {
            exec: (text) => tx.exec(text),
            async query<R extends object>(text: string, params?: unknown[]) {
              if (
                text.includes('jsonb_array_elements') &&
                text.trimStart().startsWith('UPDATE') &&
                firstWrite &&
                batchWrites < 2
              ) {
                firstWrite = false;
                const first = (JSON.parse(String(params?.[0])) as Array<{ id: string }>)[0]?.id as string;
                const app = batchWrites === 0 ? oldApp : newApp;
                const label = batchWrites === 0 ? 'written by the old app' : 'written by the new app';
                batchWrites++;
                await app.appendMessages(first, [{ role: 'user', content: label }]);
                hits.push({ id: first, app, label });
              }
              return tx.query<R>(text, params);
            },
          };
          return fn(wrapped);
        }),
    };
    const report = await runConversationMigration(racing, { migration, schema, lock: lockSession });
    expect(hits.map((h) => h.id)).toEqual(['c-000000', 'c-000100']);
    // Old app: the row stayed v1 with a new message → re-read, upgraded again, written (retried).
    // New app: its read upgraded the row lazily before appending → already current for the runner.
    expect(report.counters).toMatchObject({ retried: 1, current: 1, conflicts: 0, upgraded: 300, failed: 2 });
    const rows = new Map(
      (await dump(runnerClient, schema)).map((r) => [
        r.id,
        JSON.parse(r.text) as { schemaVersion: number; messages: Array<{ content: string; model?: string }> },
      ]),
    );
    for (const h of hits) {
      const r = rows.get(h.id);
      expect(r?.schemaVersion).toBe(2);
      expect(r?.messages.map((m) => m.content)).toContain(h.label);
      expect(r?.messages.every((m) => m.model !== undefined)).toBe(true);
    }
  });

  it('free-running application appends while the runner works are all kept', async () => {
    const schema = uniqueSchema('conv_live');
    schemas.push(schema);
    const n = 3000;
    await seed(runnerClient, schema, n);
    const app = await openConversationRepository(appClient, { schema, migration: () => V2, skipSchemaSetup: true });
    let running = true;
    const appended = new Map<string, string[]>();
    const writer = (async () => {
      let k = 0;
      while (running) {
        // Spread over the whole id range: ahead of the runner, behind it and inside its current batch.
        const id = `c-${String((k * 7919) % n).padStart(6, '0')}`;
        const content = `live ${k++}`;
        await app.appendMessages(id, [{ role: 'user', content }]);
        appended.set(id, [...(appended.get(id) ?? []), content]);
      }
    })();
    const report = await runConversationMigration(runnerClient, { migration, schema, pauseMs: 5, lock: lockSession });
    running = false;
    await writer;
    expect(report.complete).toBe(true);
    expect(appended.size).toBeGreaterThan(0);
    const rows = new Map(
      (await dump(runnerClient, schema)).map((r) => [
        r.id,
        JSON.parse(r.text) as { schemaVersion: number; messages: Array<{ content: string }> },
      ]),
    );
    let kept = 0;
    for (const [id, contents] of appended) {
      const r = rows.get(id);
      expect(r?.schemaVersion).toBe(2);
      expect(r?.messages.slice(2).map((m) => m.content)).toEqual(contents);
      kept += contents.length;
    }
    for (const [id, r] of rows) if (id.startsWith('c-')) expect(r.schemaVersion).toBe(2);
    console.log(
      `[concurrent] ${kept} application appends during the run, all kept; runner: upgraded ${report.counters.upgraded}, current ${report.counters.current}, retried ${report.counters.retried}`,
    );
  });
});
