/** Decisions → YAML edits (comments kept) → one branch and one pull request per decision. */
export { planProposals, type PlanOptions } from './plan.ts';
export { publishProposal, type PublishOutcome, type PublishTarget } from './publish.ts';
export { AUTO_MERGEABLE, type FileEdit, type Proposal, type ProposalAction } from './types.ts';
export { collectDecisions } from './collect.ts';
