/**
 * Stable codes of the gate (see docs/evaluation.md, "Gate rules"). Codes are API: never renamed or
 * reused.
 */
import type { Diagnostic, Severity } from '../config/diagnostics.ts';
import type { Locate } from './locate.ts';

export const GATE_CODES = {
  E_GATE_EXPOSURE_STEP: {
    severity: 'error',
    hint: 'Move one stage per change (the stages and limits come from the base commit); to stop exposure at once, kill or revert instead.',
  },
  E_GATE_POLICY_MIXED: {
    severity: 'error',
    hint: 'Loosen a gate threshold in a pull request of its own (it is judged under the base policy and needs its own review), then make the change.',
  },
  E_GATE_SERVED_REMOVED: {
    severity: 'error',
    hint: 'Stop serving it first (activate another version, stop the experiment, move prompts to another alias) in one change; delete it in a later one.',
  },
  E_GATE_PINNED_SNAPSHOT: {
    severity: 'error',
    hint: 'Conversations pinned to a snapshot move only through the retire path: list the snapshot under `retired` in the model file (see docs/guides/conversation-migration.md).',
  },
  W_GATE_BASE_UNCOMPILED: {
    severity: 'warning',
    hint: 'Fix the base first (a PR that only repairs it), so the next change is measured against what runtimes serve.',
  },
  W_GATE_POLICY_CHANGE: {
    severity: 'warning',
    hint: 'A threshold of the gate moves; this change is judged under the base policy and the new value applies from the next change.',
  },
} as const satisfies Record<string, { severity: Severity; hint: string }>;

export type GateCode = keyof typeof GATE_CODES;

/** A gate finding at `pointer` of `file` (positions from the working tree; 1:1 when the file is gone). */
export function gateDiagnostic(
  locate: Locate,
  code: GateCode,
  file: string,
  pointer: string,
  message: string,
  hint?: string,
): Diagnostic {
  const info = GATE_CODES[code];
  const at = locate(file, pointer);
  return { code, severity: info.severity, message, hint: hint ?? info.hint, file, line: at.line, col: at.col, pointer };
}
