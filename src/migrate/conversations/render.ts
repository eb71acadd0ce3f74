/** Text for the migration report (pure: the CLI prints). Progress lines: src/migrate/shared/progress.ts. */
import type { DiffEntry } from './changes.ts';
import { formatDuration } from '../shared/progress.ts';
import type { MigrationReport } from './runner.ts';

const n = (x: number): string => x.toLocaleString('en-US');
const records = (x: number): string => `${n(x)} record${x === 1 ? '' : 's'}`;
const messages = (x: number): string => `${n(x)} message${x === 1 ? '' : 's'}`;

function short(value: unknown, max = 60): string {
  const s = JSON.stringify(value) ?? 'undefined';
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

function diffLine(e: DiffEntry): string {
  switch (e.op) {
    case 'add':
      return `+ ${e.path}: ${short(e.value)}`;
    case 'remove':
      return `- ${e.path}: ${short(e.value)}`;
    case 'change':
      return `~ ${e.path}: ${short(e.from)} → ${short(e.to)}`;
    case 'rename':
      return `> ${e.path} → ${e.to} (renamed, value kept)`;
  }
}

function table(rows: Array<[string, string]>, indent = '  '): string[] {
  const w = Math.max(0, ...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${indent}${k.padEnd(w)}  ${v}`);
}

/** The human report. */
export function renderReport(r: MigrationReport): string {
  const out: string[] = [];
  const versionLabel = (v: number | null): string => (v === null ? 'no schemaVersion' : `v${v}`);
  out.push(
    `${r.dryRun ? 'DRY RUN (nothing written): ' : ''}${r.migration}: ${r.entity} records v${r.from} → v${r.to} (mode ${r.mode}) on ${r.backend}, ${r.table === `${r.schema}.conversations` ? `schema ${r.schema}` : `table ${r.table} (checkpoint in schema ${r.schema})`}`,
  );
  out.push(
    `records: ${n(r.total)}${r.before.length ? ` (${r.before.map((b) => `${versionLabel(b.schemaVersion)}: ${n(b.count)}`).join(', ')})` : ''}`,
  );
  if (r.resumed) {
    out.push(
      `resumed after '${r.resumed.after}' (earlier part of the run: ${n(r.resumed.counters.scanned)} examined, ${n(r.resumed.counters.upgraded)} upgraded)`,
    );
  }
  const c = r.counters;
  if (r.dryRun) {
    out.push(
      `would change: ${n(c.upgraded)} of ${n(c.scanned)} records examined (${Math.ceil(c.scanned / r.batchSize)} batches of ${n(r.batchSize)})`,
    );
  } else {
    out.push(
      `upgraded: ${n(c.upgraded)} of ${n(c.scanned)} records examined${c.current ? `; ${n(c.current)} already upgraded on read meanwhile` : ''}${c.retried ? `; ${n(c.retried)} rewritten after a concurrent application write` : ''}`,
    );
    if (c.conflicts) out.push(`still changing after retries: ${n(c.conflicts)} (left for the lazy path; run again)`);
  }
  const versions = Object.entries(r.byVersion).sort(([a], [b]) => a.localeCompare(b));
  if (versions.length) {
    out.push('examined by stored schemaVersion:');
    out.push(...table(versions.map(([k, v]) => [k === 'missing' ? `missing (taken as ${r.from})` : k, n(v)])));
  }
  const ch = r.changes;
  const changeRows: Array<[string, string]> = [
    ...Object.entries(ch.added).map(([k, v]): [string, string] => [`add ${k}`, records(v)]),
    ...Object.entries(ch.renamed).map(([k, v]): [string, string] => [`rename ${k}`, records(v)]),
    ...Object.entries(ch.renameKeptBoth).map(([k, v]): [string, string] => [
      `rename ${k}`,
      `${records(v)} already had the new field: both kept`,
    ]),
    ...Object.entries(ch.messageFieldsAdded).map(([k, v]): [string, string] => [`messages: add ${k}`, messages(v)]),
    ...Object.entries(ch.messageFieldsCopied).map(([k, v]): [string, string] => [`messages: copy ${k}`, messages(v)]),
    ...Object.entries(ch.messageFieldsNotFilled).map(([k, v]): [string, string] => [
      `messages: NOT FILLED ${k}`,
      `${messages(v.messages)} in ${records(v.records)} without ${k.split(' → ')[0]} (kept as they are; e.g. ${v.ids.join(', ')})`,
    ]),
    ...(ch.recordsWithMessagesChanged > 0
      ? [['messages changed in', records(ch.recordsWithMessagesChanged)] as [string, string]]
      : []),
    ...Object.entries(ch.removed).map(([k, v]): [string, string] => [`REMOVE ${k}`, records(v)]),
  ];
  if (changeRows.length) {
    out.push(r.dryRun ? 'fields that would change:' : 'fields changed:');
    out.push(...table(changeRows));
  }
  const failed = Object.values(r.problemsByCode).reduce((a, b) => a + b, 0);
  if (failed > 0) {
    out.push(
      `cannot upgrade (left untouched, never dropped): ${n(failed)} (${Object.entries(r.problemsByCode)
        .map(([k, v]) => `${k} ${n(v)}`)
        .join(', ')})`,
    );
    out.push(...table(r.problems.map((p): [string, string] => [p.id, `${p.code}: ${p.message}`])));
    if (r.problems.length < failed) out.push(`  … ${n(failed - r.problems.length)} more`);
  }
  if (r.samples.length) {
    out.push(`sample (${r.samples.length} of ${n(c.upgraded)}):`);
    for (const s of r.samples) {
      out.push(`  ${s.id}`);
      for (const e of s.diff) out.push(`    ${diffLine(e)}`);
    }
  }
  if (r.interrupted) out.push('interrupted: progress is saved; run the same command again to resume');
  else if (!r.dryRun)
    out.push(
      `records not at v${r.to}: ${n(r.remaining)}${r.remaining === 0 ? ' — complete' : ' (see above; the lazy path and the next run try again)'}`,
    );
  out.push(`${n(c.scanned)} records in ${formatDuration(r.durationMs)} (${n(r.recordsPerSecond)} records/s)`);
  return out.join('\n');
}
