/**
 * Diagnostics: every problem Switchyard finds in a repository is one of these, with a stable code,
 * a position and a one-line fix hint. Loading, validating and compiling return them as data
 * (`Checked<T>`); only CLI entry points print them.
 */

export type Severity = 'error' | 'warning';

export interface Diagnostic {
  /** Stable, documented code such as `E_DANGLING_REF` (errors) or `W_…` (warnings). */
  code: string;
  severity: Severity;
  /** What is wrong, in one sentence. */
  message: string;
  /** How to fix it, in one line. */
  hint: string;
  /** Repo-relative path with forward slashes. */
  file: string;
  /** 1-based line and column of the offending node (1:1 when the whole file is at fault). */
  line: number;
  col: number;
  /** JSON pointer of the offending value inside the document, when known. */
  pointer?: string;
}

/** The result shape of every pure step: a value (when one could be built) plus everything found. */
export interface Checked<T> {
  value: T | undefined;
  errors: Diagnostic[];
  warnings: Diagnostic[];
}
