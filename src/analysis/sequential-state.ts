import { mixingScales, msprtMixture, type Summary } from '../stats/index.ts';

/**
 * What a scheduled decision remembers between looks, per test (a metric × variant, or the SRM
 * check), kept in the store: the mSPRT mixing scale fixed at the first eligible look, and the
 * running minimum of the always-valid p-value with the direction of the effect at that minimum.
 * The minimum of an always-valid p-value over looks is itself always-valid (P(ever ≤ α) ≤ α), so a
 * detection made at one look is not lost at the next because the estimate wobbled.
 */
export interface LookState {
  /** Base mSPRT mixing scale τ0 (metric units; see `mixingScales`); NaN for tests without one (SRM). */
  tau: number;
  /** Running minimum of the always-valid p-value. */
  minP: number;
  /** Sign of the effect (candidate − control) at the look that set `minP`. */
  direction: -1 | 0 | 1;
  /** Eligible looks so far. */
  looks: number;
}

/** Test key → state; keys are `<metric>/<variant>` or `srm`. */
export type SequentialStates = Record<string, LookState>;

export const lookKey = (metric: string, variant: string) => `${metric}/${variant}`;

export interface SequentialLook {
  /** The always-valid p-value at this look alone. */
  pValue: number;
  /** Running minimum including this look (what decisions use). */
  minP: number;
  direction: -1 | 0 | 1;
  /** Always-valid confidence sequence of the difference at this look. */
  ci: [number, number];
  tau: number;
  significant: boolean;
}

/** Folds one look's p-value into a state (pure). */
export function foldLook(prev: LookState | undefined, pValue: number, direction: -1 | 0 | 1, tau: number): LookState {
  const looks = (prev?.looks ?? 0) + 1;
  if (prev && prev.minP <= pValue) return { ...prev, looks };
  return { tau: prev?.tau ?? tau, minP: pValue, direction, looks };
}

/**
 * One mSPRT look at `control` vs `variant` against a stored state. `defaultTau` is used only when
 * no state exists yet, so the mixing scale is fixed at the start and does not drift with the data.
 */
export function sequentialLook(
  prev: LookState | undefined,
  control: Summary,
  variant: Summary,
  alpha: number,
  defaultTau: number,
): { look: SequentialLook; state: LookState } | null {
  const tau = prev && prev.tau > 0 ? prev.tau : defaultTau;
  if (!(tau > 0) || !Number.isFinite(tau)) return null;
  const seq = msprtMixture(control, variant, alpha, mixingScales(tau));
  if (!seq) return null;
  const direction = Math.sign(seq.difference) as -1 | 0 | 1;
  const state = foldLook(prev, seq.pValue, direction, tau);
  return {
    look: {
      pValue: seq.pValue,
      minP: state.minP,
      direction: state.direction,
      ci: seq.ci,
      tau,
      significant: state.minP <= alpha,
    },
    state,
  };
}
