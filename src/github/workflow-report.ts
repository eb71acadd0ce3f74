import type { LineCounter, Node } from 'yaml';
import type { Diagnostic } from '../config/diagnostics.ts';

/**
 * Where the workflow policy's findings go: errors and warnings of one file, in the order they were
 * found, each at the line and column of the node it concerns.
 */
export interface WorkflowReport {
  errors: Diagnostic[];
  warnings: Diagnostic[];
  /** Records a finding; a `W_` code is a warning, anything else an error. */
  report: (code: string, node: Node | null | undefined, message: string, hint: string) => void;
}

export function createWorkflowReport(file: string, lines: LineCounter): WorkflowReport {
  const errors: Diagnostic[] = [];
  const warnings: Diagnostic[] = [];
  const at = (node: Node | null | undefined): { line: number; col: number } => {
    const offset = node?.range?.[0];
    if (offset === undefined) return { line: 1, col: 1 };
    const pos = lines.linePos(offset);
    return { line: pos.line, col: pos.col };
  };
  const report = (code: string, node: Node | null | undefined, message: string, hint: string): void => {
    const d: Diagnostic = {
      code,
      severity: code.startsWith('W_') ? 'warning' : 'error',
      message,
      hint,
      file,
      ...at(node),
    };
    (d.severity === 'error' ? errors : warnings).push(d);
  };
  return { errors, warnings, report };
}
