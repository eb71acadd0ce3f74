/**
 * What a change requires evidence for (pure): the eval targets and shadow comparisons the eval and
 * shadow stages should have produced for `base → head`. The report compares results against this
 * plan, so a stage that crashed, was skipped or ran against another base shows as missing evidence
 * instead of as silence (fail closed).
 */
import type { Project } from '../../config/types.ts';
import { planShadow } from '../shadow-plan.ts';
import { affectedTargets, type SideFiles, type TargetGate } from '../targets.ts';

export interface PlannedTarget {
  id: string;
  gate: TargetGate;
}

export interface PlannedComparison {
  id: string;
  title: string;
  blocking: boolean;
}

export interface ReportPlan {
  targets: PlannedTarget[];
  shadow: PlannedComparison[];
}

/**
 * The plan for `base → head` (every evaluable target / running rollout when `base` is undefined);
 * with `files` (`loadSideFiles`), a version whose referenced files changed is planned too.
 */
export function planReport(head: Project, base: Project | undefined, files?: SideFiles): ReportPlan {
  return {
    targets: affectedTargets(head, base, files).map((t) => ({ id: t.id, gate: t.gate })),
    shadow: planShadow(head, base).map((p) => ({ id: p.id, title: p.title, blocking: p.blocking })),
  };
}
