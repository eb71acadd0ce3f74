import { CODES, type Code } from './codes.ts';
import type { Diagnostic } from './diagnostics.ts';

export interface Where {
  line?: number;
  col?: number;
  pointer?: string;
  /** Overrides the code's default hint. */
  hint?: string;
}

/** Builds a diagnostic for a catalogued code; severity and default hint come from the catalogue. */
export function makeDiagnostic(code: Code, file: string, message: string, where: Where = {}): Diagnostic {
  const info = CODES[code];
  const diagnostic: Diagnostic = {
    code,
    severity: info.severity,
    message,
    hint: where.hint ?? info.hint,
    file,
    line: where.line ?? 1,
    col: where.col ?? 1,
  };
  if (where.pointer !== undefined) diagnostic.pointer = where.pointer;
  return diagnostic;
}

/** Stable order for output: file, line, column, code. */
export function compareDiagnostics(a: Diagnostic, b: Diagnostic): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  if (a.line !== b.line) return a.line - b.line;
  if (a.col !== b.col) return a.col - b.col;
  return a.code < b.code ? -1 : a.code > b.code ? 1 : 0;
}
