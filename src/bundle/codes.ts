import type { Diagnostic, Severity } from '../config/diagnostics.ts';

/**
 * Stable diagnostic codes of the bundle compiler, signer and publisher. Codes are API: never renamed
 * or reused; new problems get new codes. Verification codes (`E_SIGNATURE_*`, `E_PAYLOAD_*`, ...) live
 * with the format in `@switchyard/runtime` (packages/runtime/src/bundle/codes.ts).
 */
export const BUNDLE_CODES = {
  E_BUNDLE_UNKNOWN_ENV: { severity: 'error', hint: 'Use one of the environments listed in switchyard.yaml.' },
  E_BUNDLE_BAD_COMMIT: { severity: 'error', hint: 'Pass the full 40- (or 64-) character lower-case commit id.' },
  E_BUNDLE_DANGLING_REF: {
    severity: 'error',
    hint: 'Fix the reference; `switchyard validate` reports the same problem with its position.',
  },
  E_BUNDLE_WEIGHTS: { severity: 'error', hint: 'Variant weights must be non-negative and sum to 100.' },
  E_BUNDLE_EXPERIMENT_CONFLICT: {
    severity: 'error',
    hint: 'Stop all but one running experiment per prompt in this environment.',
  },
  E_BUNDLE_ROLLOUT_CONFLICT: {
    severity: 'error',
    hint: 'Kill or remove all but one active ModelRollout per model alias.',
  },
  E_BUNDLE_RANGE: {
    severity: 'error',
    hint: 'Percentages and traffic are between 0 and 100, sample rates between 0 and 1.',
  },
  E_BUNDLE_NOT_JSON: {
    severity: 'error',
    hint: 'Resource values must be JSON-representable (finite numbers, well-formed strings).',
  },
  W_BUNDLE_OVERRIDE_UNKNOWN_ENV: {
    severity: 'warning',
    hint: 'Remove the override or add the environment to switchyard.yaml.',
  },
} as const satisfies Record<string, { severity: Severity; hint: string }>;

export type BundleCode = keyof typeof BUNDLE_CODES;

/** Builds a diagnostic for a bundle code (position 1:1: the whole resource is at fault). */
export function bundleDiagnostic(code: BundleCode, file: string, message: string, pointer?: string): Diagnostic {
  const info = BUNDLE_CODES[code];
  const diagnostic: Diagnostic = { code, severity: info.severity, message, hint: info.hint, file, line: 1, col: 1 };
  if (pointer !== undefined) diagnostic.pointer = pointer;
  return diagnostic;
}
