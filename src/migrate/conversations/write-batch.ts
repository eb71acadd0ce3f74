/**
 * Writing one batch: conditional writes for the upgradable rows (a row is written only if its
 * revision is still the one read), a bounded loop re-reading and re-upgrading the rows the
 * application changed meanwhile — so an application write is never overwritten.
 */
import type { PayloadSchemaMigration } from '@switchyard/runtime';
import type { RecordTable, SqlExecutor } from '@switchyard/data';
import { classify, type Classified, type Upgrade } from './classify.ts';
import { zero } from './counters.ts';
import type { Counters, Problem } from './types.ts';

const MAX_RETRY_ROUNDS = 5;

/** The written batch: what it counted (`upgraded`, `retried`, `current`, `failed`, `conflicts`) and the problems found on re-reads. */
export interface BatchResult {
  counters: Counters;
  problems: Problem[];
}

/** Reads the lost rows again and sorts them: upgrade again (returned), or count as current/failed. */
async function reread(
  tx: SqlExecutor,
  sql: RecordTable,
  m: PayloadSchemaMigration,
  lost: string[],
  result: BatchResult,
): Promise<Upgrade[]> {
  const fresh = await sql.selectMany(tx, lost);
  const todo: Upgrade[] = [];
  for (const row of fresh) {
    const again = classify(m, row);
    if (again.kind === 'upgrade') todo.push(again);
    else if (again.kind === 'current') result.counters.current++;
    else {
      result.counters.failed++;
      result.problems.push(again.problem);
    }
  }
  return todo;
}

/** Writes one batch's upgrades in `tx` (the caller commits the checkpoint with it). */
export async function writeBatch(
  tx: SqlExecutor,
  sql: RecordTable,
  m: PayloadSchemaMigration,
  pending: Classified[],
): Promise<BatchResult> {
  const result: BatchResult = { counters: zero(), problems: [] };
  const c = result.counters;
  let todo = pending.filter((p): p is Upgrade => p.kind === 'upgrade');
  for (let round = 0; todo.length > 0; round++) {
    if (round >= MAX_RETRY_ROUNDS) {
      c.conflicts += todo.length;
      break;
    }
    if (round > 0) c.retried += todo.length;
    const written = await sql.updateManyIfRevision(
      tx,
      todo.map((u) => ({ id: u.row.id, record: u.after, revision: u.row.revision })),
    );
    c.upgraded += written.size;
    const lost = todo.filter((u) => !written.has(u.row.id)).map((u) => u.row.id);
    if (lost.length === 0) break;
    // Changed by the application since we read them: read again, upgrade what is there now.
    todo = await reread(tx, sql, m, lost, result);
  }
  return result;
}
