/**
 * Validation findings → GitHub annotations (shown inline on the PR's "Files changed" tab).
 * Pure mapping here; `emitAnnotations` is the thin edge that writes the workflow commands.
 */
import * as core from '@actions/core';
import type { Checked, Diagnostic } from '../config/diagnostics.ts';

/** GitHub shows at most 50 annotations per job (10 of each level per step); more are silently dropped. */
export const MAX_ANNOTATIONS = 50;

export interface Annotation {
  level: 'error' | 'warning' | 'notice';
  message: string;
  properties: core.AnnotationProperties;
}

/** One annotation per diagnostic, errors first, capped; a notice says how many were left out. */
export function annotationsFor(diagnostics: Diagnostic[], max = MAX_ANNOTATIONS): Annotation[] {
  const sorted = [...diagnostics].sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1));
  const shown = sorted.slice(0, sorted.length > max ? max - 1 : max);
  const out: Annotation[] = shown.map((d) => ({
    level: d.severity,
    message: d.hint ? `${d.message}\nFix: ${d.hint}` : d.message,
    properties: { title: d.code, file: d.file, startLine: d.line, startColumn: d.col },
  }));
  const left = sorted.length - shown.length;
  if (left > 0) {
    out.push({
      level: 'notice',
      message: `${left} more finding(s) are listed in the job summary.`,
      properties: { title: 'switchyard' },
    });
  }
  return out;
}

function isDiagnostic(value: unknown): value is Diagnostic {
  const d = value as Partial<Diagnostic> | null;
  return (
    !!d &&
    typeof d.code === 'string' &&
    (d.severity === 'error' || d.severity === 'warning') &&
    typeof d.message === 'string' &&
    typeof d.file === 'string' &&
    Number.isInteger(d.line) &&
    Number.isInteger(d.col)
  );
}

/**
 * Reads `switchyard validate --format json` output: `{ errors, warnings }` (a `Checked`), or a bare
 * array of diagnostics. Entries that are not diagnostics are reported, not dropped silently.
 */
export function readDiagnostics(text: string, file = 'validation.json'): Checked<Diagnostic[]> {
  const bad = (message: string): Checked<Diagnostic[]> => ({
    value: undefined,
    errors: [
      {
        code: 'E_ANNOTATE_INPUT',
        severity: 'error',
        message,
        hint: 'pass the output of `switchyard validate --format json`',
        file,
        line: 1,
        col: 1,
      },
    ],
    warnings: [],
  });
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return bad(`${file} is not JSON`);
  }
  const record = parsed as { errors?: unknown; warnings?: unknown; diagnostics?: unknown } | null;
  const list: unknown[] = Array.isArray(parsed)
    ? parsed
    : record && typeof record === 'object'
      ? [record.errors, record.warnings, record.diagnostics].flatMap((x) => (Array.isArray(x) ? x : []))
      : [];
  if (
    !Array.isArray(parsed) &&
    !(record && typeof record === 'object' && ('errors' in record || 'diagnostics' in record))
  ) {
    return bad(`${file} has neither \`errors\` nor \`diagnostics\``);
  }
  const value = list.filter(isDiagnostic);
  if (value.length !== list.length)
    return bad(`${file} has ${list.length - value.length} entries that are not diagnostics`);
  return { value, errors: [], warnings: [] };
}

/** Writes the annotations as workflow commands (`::error file=…,line=…::…`) on stdout. */
export function emitAnnotations(annotations: Annotation[]): void {
  for (const a of annotations) core[a.level](a.message, a.properties);
}
