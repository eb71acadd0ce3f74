/**
 * The job summary of the pr run: the evaluator's Markdown report, then every validation finding (the
 * annotations are capped by GitHub; the summary is not).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Diagnostic } from '../config/diagnostics.ts';
import { readDiagnostics } from './annotations.ts';
import { ARTIFACT_FILES } from './report-intake.ts';

const escapeCell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** Pure: findings as a Markdown table (empty string when there are none). */
export function findingsTable(diagnostics: Diagnostic[]): string {
  if (diagnostics.length === 0) return '';
  const rows = diagnostics.map(
    (d) =>
      `| ${d.severity === 'error' ? '❌' : '⚠️'} | \`${d.code}\` | \`${escapeCell(d.file)}:${d.line}:${d.col}\` | ${escapeCell(d.message)} | ${escapeCell(d.hint)} |`,
  );
  return ['### Validation findings', '', '| | code | where | what | fix |', '|---|---|---|---|---|', ...rows, ''].join(
    '\n',
  );
}

/**
 * Reads `report.md` and `validation.json` from the report directory. The report already lists the
 * findings; the full table is added when there is no report (a broken run still shows what is wrong).
 */
export async function buildJobSummary(dir: string): Promise<string> {
  const report = await readFile(join(dir, ARTIFACT_FILES.markdown), 'utf8').catch(() => undefined);
  if (report !== undefined) return report;
  const validation = await readFile(join(dir, 'validation.json'), 'utf8').catch(() => undefined);
  const diagnostics = validation ? (readDiagnostics(validation).value ?? []) : [];
  return ['## Switchyard\n\nNo report was produced; see the job log.\n', findingsTable(diagnostics)]
    .filter(Boolean)
    .join('\n');
}
