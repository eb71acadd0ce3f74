/** Text for the migration report and the progress line (pure: the CLI prints). */
import type { DiffEntry } from './changes.ts';
import type { MigrationReport, Progress } from './runner.ts';

const n = (x: number): string => x.toLocaleString('en-US');
const records = (x: number): string => `${n(x)} record${x === 1 ? '' : 's'}`;

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

function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** One progress line: bar, percentage, counts, rate and ETA. */
export function formatProgress(p: Progress, width = 24): string {
  const ratio = p.pending > 0 ? Math.min(1, p.scanned / p.pending) : 1;
  const filled = Math.round(ratio * width);
  const rate = p.elapsedMs > 0 ? (p.scanned * 1000) / p.elapsedMs : 0;
  const eta = rate > 0 ? ((p.pending - p.scanned) / rate) * 1000 : Number.NaN;
  const verb = p.dryRun ? 'would upgrade' : 'upgraded';
  return `${p.migration} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.floor(ratio * 100)}% ${n(p.scanned)}/${n(p.pending)} · ${verb} ${n(p.upgraded)} · failed ${n(p.failed)} · ${n(Math.round(rate))}/s · ${p.done ? `done in ${formatDuration(p.elapsedMs)}` : `ETA ${formatDuration(eta)}`}`;
}

function table(rows: Array<[string, string]>, indent = '  '): string[] {
  const w = Math.max(0, ...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${indent}${k.padEnd(w)}  ${v}`);
}

/** The human report. */
export function renderReport(r: MigrationReport): string {
  const out: string[] = [];
  const versionLabel = (v: number | null): string => (v === null ? 'no schemaVersion' : `v${v}`);
  out.push(`${r.dryRun ? 'DRY RUN (nothing written): ' : ''}${r.migration}: ${r.entity} records v${r.from} → v${r.to} (mode ${r.mode}) on ${r.backend}, schema ${r.schema}`);
  out.push(`records: ${n(r.total)}${r.before.length ? ` (${r.before.map((b) => `${versionLabel(b.schemaVersion)}: ${n(b.count)}`).join(', ')})` : ''}`);
  if (r.resumed) {
    out.push(`resumed after '${r.resumed.after}' (earlier part of the run: ${n(r.resumed.counters.scanned)} examined, ${n(r.resumed.counters.upgraded)} upgraded)`);
  }
  const c = r.counters;
  if (r.dryRun) {
    out.push(`would change: ${n(c.upgraded)} of ${n(c.scanned)} records examined (${Math.ceil(c.scanned / r.batchSize)} batches of ${n(r.batchSize)})`);
  } else {
    out.push(`upgraded: ${n(c.upgraded)} of ${n(c.scanned)} records examined${c.current ? `; ${n(c.current)} already upgraded on read meanwhile` : ''}${c.retried ? `; ${n(c.retried)} rewritten after a concurrent application write` : ''}`);
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
    ...Object.entries(ch.renameKeptBoth).map(([k, v]): [string, string] => [`rename ${k}`, `${records(v)} already had the new field: both kept`]),
    ...Object.entries(ch.messageFieldsAdded).map(([k, v]): [string, string] => [`messages: add ${k}`, `${n(v)} messages in ${n(ch.recordsWithMessagesChanged)} records`]),
    ...Object.entries(ch.removed).map(([k, v]): [string, string] => [`REMOVE ${k}`, records(v)]),
  ];
  if (changeRows.length) {
    out.push(r.dryRun ? 'fields that would change:' : 'fields changed:');
    out.push(...table(changeRows));
  }
  const failed = Object.values(r.problemsByCode).reduce((a, b) => a + b, 0);
  if (failed > 0) {
    out.push(`cannot upgrade (left untouched, never dropped): ${n(failed)} (${Object.entries(r.problemsByCode).map(([k, v]) => `${k} ${n(v)}`).join(', ')})`);
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
  else if (!r.dryRun) out.push(`records not at v${r.to}: ${n(r.remaining)}${r.remaining === 0 ? ' — complete' : ' (see above; the lazy path and the next run try again)'}`);
  out.push(`${n(c.scanned)} records in ${formatDuration(r.durationMs)} (${n(r.recordsPerSecond)} records/s)`);
  return out.join('\n');
}
