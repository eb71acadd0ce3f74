/**
 * The state of every row of the application's table for one migration, as SQL: whether its new
 * vector is absent, stale (the row changed after the backfill embedded it, and the vector is still
 * the one the backfill wrote) or dead-lettered. Shared by the backfill's passes and verify.
 *
 * A vector the application wrote itself (dual-write) is trusted: its digest no longer matches the
 * one recorded in `migration_row_versions`, exactly as the store trusts the current version's
 * vector (docs/embedding-migration.md).
 */
import type { StoredDocument } from '@switchyard/data';
import type { AppTable } from './inspect.ts';

/**
 * A subquery `q` with columns `sort_key` (the key, in its own type), `id` (the key as text),
 * `content`, `ver` (the change column as text), `vh` (its hash), `absent`, `stale`, `dead` (at
 * the row's current change value), over the rows whose
 * text is not null. `$1` is the migration and `$2` the target index; `s` the quoted Switchyard schema.
 */
export function rowStates(t: AppTable, s: string): string {
  const version = `coalesce(t.${t.updatedAt}::text, '')`;
  return `(SELECT t.${t.key} AS sort_key, t.${t.key}::text AS id, t.${t.text} AS content, ${version} AS ver, ${versionHash(version)} AS vh,
  t.${t.to} IS NULL AS absent,
  (t.${t.to} IS NOT NULL AND r.row_key IS NOT NULL AND md5(t.${t.to}::text) = r.vector_md5 AND ${version} <> r.source_version) AS stale,
  EXISTS (SELECT 1 FROM ${s}.migration_dead_letters x WHERE x.migration = $1 AND x.target_index = $2 AND x.doc_id = t.${t.key}::text AND x.version = ${versionHash(version)}) AS dead
FROM ${t.table} t
LEFT JOIN ${s}.migration_row_versions r ON r.migration = $1 AND r.target_index = $2 AND r.row_key = t.${t.key}::text
WHERE t.${t.text} IS NOT NULL) q`;
}

/**
 * A dead letter is keyed by a row's change column as `version` (the column is bigint): a 32-bit
 * hash of its text. A dead letter counts only while the row still holds that value, as on
 * Switchyard's own tables, so a row the application rewrites is tried again by the next reconcile.
 */
export const versionHash = (expression: string): string => `hashtext(${expression})::bigint`;

/** The change column's text rides in `updatedAt`, its hash in `version` (see `versionHash`). */
export function rowToDoc(r: { id: string; content: string; ver: string; vh: string | number }): StoredDocument {
  return { id: r.id, tenant: null, content: r.content, metadata: {}, version: Number(r.vh), updatedAt: r.ver };
}
