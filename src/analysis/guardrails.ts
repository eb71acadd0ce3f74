import { holm } from '../stats/index.ts';
import type { ResolvedMetric } from './metric-definitions.ts';
import { lookKey, sequentialLook, type SequentialStates } from './sequential-state.ts';
import type { GuardrailCheck, VariantEvidence } from './types.ts';

export interface GuardrailOptions {
  /** Relative worsening over control tolerated before a significant one counts as a breach. Default 0.1. */
  tolerance?: number;
  /**
   * Family-wise level of all guardrail tests of one decision (Holm across guardrails × variants).
   * Default 0.01, independent of the primary metric's alpha.
   */
  guardrailAlpha?: number;
}

/** One guardrail comparison to make: the metric, control's and the variant's evidence. */
export interface GuardrailInput {
  metric: ResolvedMetric;
  control: VariantEvidence;
  variant: VariantEvidence;
}

/**
 * Guardrails, sequential and multiplicity-controlled: each metric × variant gets an mSPRT look
 * (mixing scale fixed at the first eligible look to `tolerance × |control mean|`, the size of
 * harm that matters) whose running-minimum always-valid p-value is Holm-adjusted across the whole
 * family. A breach needs the adjusted p below `guardrailAlpha`, the effect at that minimum in the
 * worse direction, and the current relative change worse than `tolerance`. `eligible` false (an
 * arm below the minimum sample) reports the look without storing it. Pure.
 */
export function checkGuardrails(
  inputs: GuardrailInput[],
  states: SequentialStates,
  eligible: boolean,
  options: GuardrailOptions = {},
): { checks: GuardrailCheck[]; states: SequentialStates } {
  const tolerance = options.tolerance ?? 0.1;
  const alpha = options.guardrailAlpha ?? 0.01;
  const next: SequentialStates = {};
  const looks = inputs.map(({ metric, control, variant }) => {
    const key = lookKey(metric.name, variant.variant);
    const scale = Math.abs(control.mean) > 0 ? tolerance * Math.abs(control.mean) : Math.sqrt(control.variance);
    const look = eligible ? sequentialLook(states[key], control, variant, alpha, scale) : null;
    if (look) next[key] = look.state;
    return look?.look ?? null;
  });
  const adjusted = holm(looks.map((l) => l?.minP ?? 1));
  const checks = inputs.map(({ metric, control, variant }, i): GuardrailCheck => {
    const look = looks[i];
    const worse = metric.direction === 'lower' ? 1 : -1;
    const relativeChange = control.mean !== 0 ? (variant.mean - control.mean) / Math.abs(control.mean) : null;
    const beyond =
      relativeChange === null ? worse * (variant.mean - control.mean) > 0 : worse * relativeChange > tolerance;
    return {
      metric: metric.name,
      variant: variant.variant,
      direction: metric.direction,
      controlMean: control.mean,
      mean: variant.mean,
      relativeChange,
      pValue: look?.minP ?? null,
      adjustedP: look ? adjusted[i]! : null,
      breached: look != null && adjusted[i]! < alpha && look.direction === worse && beyond,
    };
  });
  return { checks, states: next };
}
