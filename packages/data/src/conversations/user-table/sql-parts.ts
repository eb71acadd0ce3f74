/**
 * The SQL fragments for one application table, built once from the checked storage: every name
 * through `quoteIdent`, every cast from inspect.ts's fixed list — nothing from the plan reaches SQL
 * unquoted.
 */
import { quoteIdent } from '../../store/sql-client.ts';
import type { InspectedTable } from './inspect.ts';

export interface SqlParts {
  /** The quoted table. */
  t: string;
  /** The quoted key column. */
  k: string;
  /** The stored version as an integer, NULL when there is none (mirrors Switchyard's schema_version column). */
  version: string;
  /** The select list every read uses (all as text: see row-codec.ts). */
  columns: string;
  /** Keyset condition on parameter `$n` (the cursor as text, cast to the key's type). */
  after: (n: number) => string;
  /** The SET list of the batch write. */
  sets: string;
  /** The batch write's "row unchanged since read" condition. */
  unchanged: string;
}

export function sqlParts(table: InspectedTable): SqlParts {
  const s = table.storage;
  const k = quoteIdent(s.key);
  const r = quoteIdent(s.record);
  const v = s.version === undefined ? null : quoteIdent(s.version);
  const u = s.updatedAt === undefined ? null : quoteIdent(s.updatedAt);
  const rv = s.revision === undefined ? null : quoteIdent(s.revision);
  const json = table.recordType === 'jsonb' ? r : `(${r})::jsonb`;
  const version =
    v ??
    `(CASE WHEN jsonb_typeof(${json}->'schemaVersion') = 'number' AND (${json}->>'schemaVersion') ~ '^-?[0-9]{1,9}$' THEN (${json}->>'schemaVersion')::integer END)`;
  return {
    t: `${quoteIdent(s.schemaName)}.${quoteIdent(s.tableName)}`,
    k,
    version,
    columns: `${k}::text AS id, ${r}::text AS record, ${version} AS version, ${u ? `${u}::text` : 'NULL::text'} AS updated, ${rv ? `${rv}::text` : 'NULL::text'} AS rev`,
    after: (n) => `($${n}::text IS NULL OR ${k} > ($${n}::text)::${table.keyCast})`,
    sets: [
      `${r} = (e.value->>'r')::${table.recordType}`,
      ...(v ? [`${v} = (e.value->>'v')::bigint`] : []),
      ...(u ? [`${u} = clock_timestamp()`] : []),
      ...(rv ? [`${rv} = COALESCE(c.${rv}, 0) + 1`] : []),
    ].join(', '),
    unchanged: [
      `c.${r}::text = e.value->>'old'`,
      ...(v ? [`c.${v}::text IS NOT DISTINCT FROM e.value->>'ov'`] : []),
      ...(u ? [`c.${u}::text IS NOT DISTINCT FROM e.value->>'ou'`] : []),
      ...(rv ? [`c.${rv}::text IS NOT DISTINCT FROM e.value->>'orv'`] : []),
    ].join(' AND '),
  };
}
