import { twoProportionZTest, welchTTest } from '../stats/index.ts';
import type { GuardrailInput } from './guardrails.ts';
import type { ResolvedMetric } from './metric-definitions.ts';
import { lookKey, sequentialLook, type SequentialStates } from './sequential-state.ts';
import type { Comparison, VariantEvidence } from './types.ts';

/** What comparing each variant with control needs from the look. */
export interface ComparisonLook {
  control: VariantEvidence;
  variants: VariantEvidence[];
  primary: ResolvedMetric;
  alpha: number;
  /** Sequential state from earlier looks. */
  prev: SequentialStates;
  /** This look may decide (and so is remembered in the sequential state). */
  eligible: boolean;
  /** The mSPRT mixing scale. */
  tau: number;
}

function fixedTest(control: VariantEvidence, variant: VariantEvidence, alpha: number) {
  if (control.binary && variant.binary) {
    const r = twoProportionZTest(
      Math.round(control.mean * control.n),
      control.n,
      Math.round(variant.mean * variant.n),
      variant.n,
      alpha,
    );
    return r ? { test: 'two-proportion' as const, fixed: r } : null;
  }
  const r = welchTTest(control, variant, alpha);
  return r ? { test: 'welch' as const, fixed: r } : null;
}

/**
 * Each variant against control on the primary metric: the fixed-horizon numbers for display and
 * the sequential look for the decision. An eligible look's sequential state is written to `state`.
 */
export function compareVariants(look: ComparisonLook, state: SequentialStates): Comparison[] {
  const { control, primary, alpha, prev, eligible, tau } = look;
  const comparisons: Comparison[] = [];
  for (const variant of look.variants) {
    if (variant === control) continue;
    const fixed = fixedTest(control, variant, alpha);
    if (!fixed) continue;
    const key = lookKey(primary.name, variant.variant);
    const seq = sequentialLook(prev[key], control, variant, alpha, tau);
    if (seq && eligible) state[key] = seq.state;
    // Before the first eligible look nothing is remembered: show this look alone.
    const shown = seq
      ? eligible
        ? seq.look
        : { ...seq.look, minP: Math.min(seq.look.pValue, prev[key]?.minP ?? 1), significant: false }
      : null;
    comparisons.push({
      variant: variant.variant,
      test: fixed.test,
      difference: fixed.fixed.difference,
      relativeLift: control.mean !== 0 ? fixed.fixed.difference / Math.abs(control.mean) : null,
      ci: fixed.fixed.ci,
      pValue: fixed.fixed.pValue,
      sequential: shown,
      fixed: fixed.fixed,
    });
  }
  return comparisons;
}

/** Each recorded guardrail metric paired per variant with its control (metrics without control are skipped). */
export function guardrailPairs(
  guardrails: ResolvedMetric[],
  evidence: Record<string, VariantEvidence[]>,
): GuardrailInput[] {
  const inputs: GuardrailInput[] = [];
  for (const g of guardrails) {
    const list = evidence[g.name];
    const gControl = list?.find((v) => v.variant === 'control');
    if (!list || !gControl) continue;
    for (const v of list) if (v.variant !== 'control') inputs.push({ metric: g, control: gControl, variant: v });
  }
  return inputs;
}
