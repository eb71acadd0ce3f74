import { SRM_ALPHA } from './experiment-thresholds.ts';
import { lookKey } from './sequential-state.ts';
import type { ExperimentAnalysis } from './types.ts';

/** An analysis before its decision: every piece of evidence the decision reads. */
export type ExperimentLook = Omit<ExperimentAnalysis, 'decision' | 'winner' | 'reasons'>;
type Decided = Pick<ExperimentAnalysis, 'decision' | 'winner' | 'reasons'>;

/**
 * The one decision of a look, with its reasons, checked in order: missing data and SRM block;
 * too few units is no difference yet; then a winner (never one that breaches a guardrail), control
 * when it beats every variant, or no difference yet. `floor` is the minimum-sample floor applied.
 */
export function decideExperiment(look: ExperimentLook, floor: number): Decided {
  const { problems, srm } = look;
  const reasons: string[] = [];
  if (problems.length > 0) {
    reasons.push(...problems.map((p) => `missing data (${p.code}): ${p.message}`));
    return { decision: 'blocked: missing data', winner: null, reasons };
  }
  if (srm?.mismatch) {
    reasons.push(
      `sample ratio mismatch: units ${srm.observed.join(' / ')} vs expected ${srm.expected.map((e) => e.toFixed(0)).join(' / ')} (sequential p = ${srm.minP.toExponential(2)} < ${SRM_ALPHA}; χ² = ${srm.chiSquare.toFixed(1)}); assignment or logging is broken, results are not trustworthy`,
    );
    return { decision: 'blocked: SRM', winner: null, reasons };
  }
  const short = shortOfSamples(look, floor);
  if (short.length > 0) return { decision: 'no difference yet', winner: null, reasons: short };
  return decideOnEvidence(look, reasons);
}

/** One reason per arm below the effective minimum sample. */
function shortOfSamples(look: ExperimentLook, floor: number): string[] {
  const { variants, effectiveMinSamples, minSamples, metric } = look;
  const raised = effectiveMinSamples > minSamples ? ` (minSamples ${minSamples} raised to the floor ${floor})` : '';
  return variants
    .filter((v) => v.n < effectiveMinSamples)
    .map((v) => `${v.variant} has ${v.n} of the ${effectiveMinSamples} units with ${metric} required${raised}`);
}

/** Enough clean evidence: the best significant improvement that breaches no guardrail, or control, or none. */
function decideOnEvidence(look: ExperimentLook, reasons: string[]): Decided {
  const { comparisons, guardrails, variants, alpha, state, metric } = look;
  const direction = look.metricDefinition.direction;
  const better = direction === 'higher' ? 1 : -1;
  const breached = new Set(guardrails.filter((x) => x.breached).map((x) => x.variant));
  for (const x of guardrails.filter((y) => y.breached)) {
    reasons.push(
      `${x.variant} breaches guardrail ${x.metric}: ${x.mean.toPrecision(4)} vs ${x.controlMean.toPrecision(4)} (always-valid p = ${x.pValue?.toExponential(2)}, Holm-adjusted ${x.adjustedP?.toExponential(2)})`,
    );
  }
  const winners = comparisons.filter(
    (c) =>
      c.sequential?.significant &&
      c.sequential.direction === better &&
      better * c.difference > 0 &&
      !breached.has(c.variant),
  );
  if (winners.length > 0) {
    const best = winners.reduce((a, b) => (better * b.difference > better * a.difference ? b : a));
    reasons.push(
      `${best.variant} beats control on ${metric} (${direction} is better; always-valid p = ${best.sequential!.minP.toExponential(2)} < ${alpha}, running minimum over ${state[lookKey(metric, best.variant)]?.looks ?? 1} looks)`,
    );
    return { decision: 'winner', winner: best.variant, reasons };
  }
  if (
    comparisons.length > 0 &&
    comparisons.length === variants.length - 1 &&
    comparisons.every(
      (c) => c.sequential?.significant && c.sequential.direction === -better && better * c.difference < 0,
    )
  ) {
    reasons.push(`control beats every variant on ${metric}`);
    return { decision: 'winner', winner: 'control', reasons };
  }
  reasons.push(`no variant differs from control at always-valid p < ${alpha} yet`);
  return { decision: 'no difference yet', winner: null, reasons };
}
