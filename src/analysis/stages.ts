/**
 * The next percent of a staged rollout: the smallest stage above the current percent, so a
 * proposal never skips a stage (a configured `analysis.next` further up is not honoured beyond it).
 * Null when already at (or beyond) the last stage.
 */
export function nextStage(percent: number, stages: number[]): number | null {
  return [...stages].sort((a, b) => a - b).find((s) => s > percent) ?? null;
}
