import type { Diagnostic } from '../config/diagnostics.ts';
import type { CommandIo } from './command.ts';
import { styleOf } from './style.ts';

export type DiagnosticFormat = 'text' | 'json' | 'github';

export interface DiagnosticReport {
  /** Directory that was validated (as given). */
  root: string;
  /** Prefix added to each file path so it is relative to the invocation directory / repository. */
  pathPrefix: string;
  files: number;
  errors: Diagnostic[];
  warnings: Diagnostic[];
  base?: string;
}

/** Version of the `--format json` document; bumped only on incompatible changes. */
export const JSON_REPORT_VERSION = 1;

/** Renders a validation report in one of the CLI's formats. Pure: returns the text to print. */
export function formatDiagnostics(
  report: DiagnosticReport,
  format: DiagnosticFormat,
  options: { color?: boolean } = {},
): string {
  switch (format) {
    case 'json':
      return formatJson(report);
    case 'github':
      return formatGithub(report);
    default:
      return formatText(report, options.color);
  }
}

const path = (report: DiagnosticReport, d: Diagnostic): string => `${report.pathPrefix}${d.file}`;
const all = (report: DiagnosticReport): Diagnostic[] => [...report.errors, ...report.warnings];

function summary(report: DiagnosticReport): string {
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  return `${plural(report.errors.length, 'error')}, ${plural(report.warnings.length, 'warning')} in ${plural(report.files, 'file')}${report.base ? ` (history checked against ${report.base})` : ''}`;
}

/**
 * The CLI's one text rendering of diagnostics (`file:line:col  severity  CODE  message` + hint line),
 * shared by `validate` and every command that reports diagnostics. At most `limit` are listed; the rest
 * are counted.
 */
export function formatDiagnosticLines(
  diagnostics: readonly Diagnostic[],
  options: { pathPrefix?: string; limit?: number; color?: boolean } = {},
): string[] {
  const { pathPrefix = '', limit = Infinity } = options;
  const style = styleOf(options.color);
  const lines: string[] = [];
  for (const d of diagnostics.slice(0, limit)) {
    const severity = d.severity === 'error' ? style.red(d.severity) : style.yellow(d.severity);
    lines.push(`${pathPrefix}${d.file}:${d.line}:${d.col}  ${severity}  ${style.bold(d.code)}  ${d.message}`);
    if (d.hint) lines.push(style.dim(`    hint: ${d.hint}`));
  }
  if (diagnostics.length > limit)
    lines.push(`… and ${diagnostics.length - limit} more (run \`switchyard validate\` for all of them)`);
  return lines;
}

/**
 * The one diagnostics printer of the CLI: every command that reports diagnostics on stderr (a
 * configuration that does not load, refused input) goes through it. Prints nothing for none.
 */
export function printDiagnostics(
  io: CommandIo,
  diagnostics: readonly Diagnostic[],
  options: { limit?: number } = {},
): void {
  if (diagnostics.length > 0)
    io.stderr(formatDiagnosticLines(diagnostics, { ...options, color: io.color?.stderr }).join('\n'));
}

function formatText(report: DiagnosticReport, color?: boolean): string {
  const style = styleOf(color);
  const lines = formatDiagnosticLines(all(report), { pathPrefix: report.pathPrefix, color });
  lines.push(`${report.errors.length === 0 ? style.green('✔') : style.red('✖')} ${summary(report)}`);
  return lines.join('\n');
}

/**
 * `--format json`: a stable document for other tools (documented in docs/resources.md):
 * `{ version, ok, root, base, summary: { errors, warnings, files }, diagnostics: [...] }`, diagnostics
 * sorted by file, line, column, code; errors before warnings.
 */
function formatJson(report: DiagnosticReport): string {
  const document = {
    version: JSON_REPORT_VERSION,
    ok: report.errors.length === 0,
    root: report.root,
    base: report.base ?? null,
    summary: { errors: report.errors.length, warnings: report.warnings.length, files: report.files },
    diagnostics: all(report).map((d) => ({
      severity: d.severity,
      code: d.code,
      file: path(report, d),
      line: d.line,
      col: d.col,
      message: d.message,
      hint: d.hint,
      pointer: d.pointer ?? null,
    })),
  };
  return JSON.stringify(document, null, 2);
}

// GitHub workflow commands: data escapes %, CR, LF; properties additionally escape : and ,.
const escapeData = (s: string): string => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const escapeProperty = (s: string): string => escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

function formatGithub(report: DiagnosticReport): string {
  const lines = all(report).map((d) => {
    const command = d.severity === 'error' ? 'error' : 'warning';
    const props = `file=${escapeProperty(path(report, d))},line=${d.line},col=${d.col},title=${escapeProperty(d.code)}`;
    return `::${command} ${props}::${escapeData(`${d.message} Hint: ${d.hint}`)}`;
  });
  lines.push(summary(report));
  return lines.join('\n');
}
