/**
 * The gate's verdict on a change: policy from the base, exposure of the compiled effect, served
 * resources, and policy changes. Pure; the report adds it to its blockers.
 */
import type { Diagnostic } from '../config/diagnostics.ts';
import type { Project } from '../config/types.ts';
import { gateDiagnostic } from './codes.ts';
import { judgeExposure, type ExposureRow } from './exposure.ts';
import type { Locate } from './locate.ts';
import { gatePolicy, policyChanges, type GatePolicy, type PolicyChange } from './policy.ts';
import { judgeServed } from './served.ts';

export interface GateVerdict {
  policy: GatePolicy;
  /** Thresholds that move in this change (loosened ones first). */
  policyChanges: PolicyChange[];
  exposure: ExposureRow[];
  errors: Diagnostic[];
  warnings: Diagnostic[];
}

export interface JudgeOptions {
  locate: Locate;
  /** The change also carries gated evals (a version activated, a pin or rollout evaluated). */
  gatedEvidence?: boolean;
}

/** Judges `base → head`; without a base there is nothing to compare and only the policy is returned. */
export function judgeChange(base: Project | undefined, head: Project, options: JudgeOptions): GateVerdict {
  const policy = gatePolicy(base, head);
  if (!base) return { policy, policyChanges: [], exposure: [], errors: [], warnings: [] };
  const changes = policyChanges(base, head).sort((a, b) =>
    a.direction === b.direction ? 0 : a.direction === 'loosened' ? -1 : 1,
  );
  const exposure = judgeExposure(base, head, policy, options.locate);
  const errors = [...exposure.errors, ...judgeServed(base, head, options.locate)];
  const warnings: Diagnostic[] = [...exposure.warnings];
  const usersSeeIt = exposure.rows.length > 0 || options.gatedEvidence === true;
  for (const c of changes.filter((x) => x.direction === 'loosened')) {
    if (usersSeeIt) {
      errors.push(
        gateDiagnostic(
          options.locate,
          'E_GATE_POLICY_MIXED',
          c.file,
          c.pointer,
          `policy loosened (${c.text}) in a change that users would see (${exposure.rows.length} exposure change(s)${options.gatedEvidence ? ', gated evals' : ''}).`,
        ),
      );
    } else {
      warnings.push(
        gateDiagnostic(
          options.locate,
          'W_GATE_POLICY_CHANGE',
          c.file,
          c.pointer,
          `policy loosened: ${c.text}; this change is judged under the base policy.`,
        ),
      );
    }
  }
  return { policy, policyChanges: changes, exposure: exposure.rows, errors, warnings };
}
