/** A change to one file of the repository. */
export type FileEdit =
  | { path: string; action: 'update'; before: string; after: string }
  | { path: string; action: 'delete'; before: string };

export type ProposalAction = 'advance' | 'revert' | 'kill' | 'finish' | 'conclude';

/** One decision turned into one reviewable change: one branch, one pull request. */
export interface Proposal {
  action: ProposalAction;
  /** Rollout flag or experiment id the proposal concerns. */
  resource: string;
  kind: 'Canary' | 'ModelRollout' | 'Experiment';
  /** Percent before and after (finish: 100 → removed; conclude: the winner's prompt version in `to`). */
  from: number;
  to: number | null;
  /** Deterministic, so a second run finds the open PR instead of opening another. */
  branch: string;
  title: string;
  /** Markdown: the decision, the evidence and its charts. */
  body: string;
  commitMessage: string;
  edits: FileEdit[];
  /** Merge immediately after opening (only revert/kill may be configured to). */
  autoMerge: boolean;
}

/** Actions that may merge themselves: both only reduce exposure to a change. */
export const AUTO_MERGEABLE: readonly ProposalAction[] = ['revert', 'kill'];
