import {
  renderAnalysis,
  type CanaryAnalysis,
  type ExperimentAnalysis,
  type ShadowAnalysis,
} from '../analysis/index.ts';
import type { FileEdit, ProposalAction } from './types.ts';

/** An analysis a proposal can be planned from. */
export type Decided = CanaryAnalysis | ShadowAnalysis | ExperimentAnalysis;

/** The resource a decision is about: the rollout flag (shadow) or the canary/experiment id. */
export const nameOf = (a: Decided): string => (a.kind === 'shadow' ? a.rollout : a.id);

/** The verb each action's title and headline start with. */
export const ACTION_TITLE: Record<ProposalAction, string> = {
  advance: 'Advance',
  revert: 'Revert',
  kill: 'Kill',
  finish: 'Finish',
  conclude: 'Conclude',
};

/** The pull request's Markdown body: the decision, the evidence and the files it changes. */
export function proposalBody(
  action: ProposalAction,
  headline: string,
  analysis: Decided,
  edits: FileEdit[],
  autoMerge: boolean,
): string {
  const files = edits.map((e) => `- \`${e.path}\`: ${e.action === 'delete' ? 'removed' : 'updated'}`);
  return [
    `## ${headline}`,
    '',
    `Proposed by \`switchyard propose\` from production evidence in the event store. ` +
      (autoMerge
        ? `This ${action} was configured to merge itself (it only reduces exposure).`
        : 'Review the evidence below and merge to publish.'),
    '',
    renderAnalysis(analysis, 'markdown').replace(/^### /m, '#### '),
    '',
    '### Changes',
    '',
    ...files,
    '',
    '<sub>Merging publishes through the normal pipeline (validate → compile → sign → publish). Rollback = revert this pull request.</sub>',
    '',
  ].join('\n');
}
