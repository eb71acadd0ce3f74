import { chiSquareSf } from '../stats/index.ts';
import type { ResolvedMetric } from './metric-definitions.ts';
import type { VariantEvidence } from './types.ts';

/** Below this share of exposed units reporting a (non-binary) metric, no decision is made. */
export const MIN_COVERAGE = 0.5;
/** p below which metric coverage differing between arms blocks a decision. */
export const COVERAGE_THRESHOLD = 0.001;

/** A reason evidence cannot support a decision, with a stable name. */
export interface DataProblem {
  code: 'no-exposures' | 'unexposed-reports' | 'low-coverage' | 'unequal-coverage' | 'invalid-values';
  message: string;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/**
 * Missing-data checks that must pass before any decision (pure). Denominators are exposed units:
 * - no exposures: without them neither the SRM check nor the denominators exist;
 * - units reporting the metric without an exposure (logging is broken somewhere);
 * - for continuous and ratio metrics, units that never report are missing, not zero: coverage
 *   below `MIN_COVERAGE` in an arm, or coverage that differs between arms (χ² on reporting vs
 *   exposed, p < `COVERAGE_THRESHOLD`), would bias the comparison, so it blocks;
 * - non-finite numbers or a binary metric with values other than 0/1.
 * Binary metrics are exempt from coverage: a unit that never converts counts as 0.
 */
export function dataProblems(
  variants: VariantEvidence[],
  metric: ResolvedMetric,
  minCoverage = MIN_COVERAGE,
): DataProblem[] {
  const problems: DataProblem[] = [];
  for (const v of variants) {
    if (v.invalid) problems.push({ code: 'invalid-values', message: `${v.variant}: ${v.invalid}` });
    else if (![v.mean, v.variance].every(Number.isFinite))
      problems.push({ code: 'invalid-values', message: `${v.variant}: non-finite ${metric.name} summary` });
  }
  const exposed = variants.reduce((a, v) => a + v.exposed, 0);
  if (exposed === 0) {
    problems.push({
      code: 'no-exposures',
      message: `no exposures recorded: without them the sample-ratio check and the denominators are missing (is the runtime's event sink writing to this store?)`,
    });
    return problems;
  }
  for (const v of variants) {
    const reporting = v.reporting ?? v.n;
    if (reporting > v.exposed) {
      problems.push({
        code: 'unexposed-reports',
        message: `${v.variant}: ${reporting} units report ${metric.name} but only ${v.exposed} were exposed`,
      });
    }
  }
  if (metric.kind === 'binary') return problems;
  for (const v of variants) {
    const reporting = v.reporting ?? v.n;
    if (v.exposed > 0 && reporting / v.exposed < minCoverage) {
      problems.push({
        code: 'low-coverage',
        message: `${v.variant}: only ${reporting} of ${v.exposed} exposed units (${pct(reporting / v.exposed)}) report ${metric.name}, below ${pct(minCoverage)}; units that never report are missing, not zero`,
      });
    }
  }
  const table = variants
    .filter((v) => v.exposed > 0)
    .map((v) => [Math.min(v.reporting ?? v.n, v.exposed), v.exposed] as const);
  const p = coverageHomogeneityP(table);
  if (p !== null && p < COVERAGE_THRESHOLD) {
    const shares = variants
      .filter((v) => v.exposed > 0)
      .map((v) => `${v.variant} ${pct(Math.min(v.reporting ?? v.n, v.exposed) / v.exposed)}`);
    problems.push({
      code: 'unequal-coverage',
      message: `${metric.name} coverage differs between arms (${shares.join(', ')}; χ² p = ${p.toExponential(2)}): whatever stops units reporting depends on the variant`,
    });
  }
  return problems;
}

/** Pearson χ² test of equal reporting rates across arms ([reporting, exposed] per arm). */
function coverageHomogeneityP(arms: ReadonlyArray<readonly [number, number]>): number | null {
  if (arms.length < 2) return null;
  const total = arms.reduce((a, [, n]) => a + n, 0);
  const reporting = arms.reduce((a, [r]) => a + r, 0);
  const rate = reporting / total;
  if (!(rate > 0 && rate < 1)) return null;
  let chi = 0;
  for (const [r, n] of arms) {
    const e1 = n * rate;
    const e0 = n * (1 - rate);
    chi += (r - e1) ** 2 / e1 + (n - r - e0) ** 2 / e0;
  }
  return chiSquareSf(chi, arms.length - 1);
}
