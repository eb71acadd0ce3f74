import { welchTTest } from '../stats/index.ts';
import type { GuardrailCheck, VariantEvidence } from './types.ts';

/** Guardrail metrics are "lower is better" (latency, cost, errors). */
export interface GuardrailOptions {
  /** Relative increase over control tolerated before a significant increase counts as a breach. Default 0.1. */
  tolerance?: number;
  /** Significance for a breach. Default 0.01 (guardrails are checked for several metrics at once). */
  alpha?: number;
}

/** Compares each non-control variant's guardrail metric with control. */
export function checkGuardrail(metric: string, control: VariantEvidence, variant: VariantEvidence, options: GuardrailOptions = {}): GuardrailCheck {
  const tolerance = options.tolerance ?? 0.1;
  const alpha = options.alpha ?? 0.01;
  const test = welchTTest(control, variant, alpha);
  const relativeChange = control.mean !== 0 ? (variant.mean - control.mean) / Math.abs(control.mean) : null;
  const worseBeyondTolerance = relativeChange === null ? variant.mean > control.mean : relativeChange > tolerance;
  return {
    metric,
    variant: variant.variant,
    controlMean: control.mean,
    mean: variant.mean,
    relativeChange,
    pValue: test?.pValue ?? null,
    breached: test !== null && test.difference > 0 && test.pValue < alpha && worseBeyondTolerance,
  };
}
