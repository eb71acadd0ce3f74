import type { Checked } from '../config/diagnostics.ts';
import type { Project } from '../config/types.ts';
import { createPlanContext } from './plan-context.ts';
import { planConclusion } from './plan-conclusion.ts';
import { planRollout } from './plan-rollout.ts';
import type { Decided } from './proposal-body.ts';
import type { Proposal, ProposalAction } from './types.ts';

export interface PlanOptions {
  /**
   * The environment the evidence came from (`propose --env`). Decisions then start from that
   * environment's effective percent and kill switch, and percent edits go to
   * `environments.<env>.percent` when that environment overrides the percent.
   */
  env?: string;
  /** Actions allowed to merge themselves (subset of revert, kill). */
  autoMerge?: ProposalAction[];
  /** Reads a repo-relative file of the project (the working tree the analysis ran on). */
  readFile: (path: string) => string;
}

/**
 * Turns decisions into proposals: YAML edits that keep comments and formatting, one branch and one
 * PR each. Never skips a stage (advances go to the next stage only). Pure: reads files through
 * `readFile`, touches nothing.
 */
export function planProposals(project: Project, analyses: Decided[], options: PlanOptions): Checked<Proposal[]> {
  const context = createPlanContext(project, options);
  for (const a of analyses) {
    if (a.kind === 'experiment') planConclusion(context, a);
    else planRollout(context, a);
  }
  return { value: context.proposals, errors: context.errors, warnings: [] };
}
