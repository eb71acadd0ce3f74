import type { Checked, Diagnostic } from '../config/diagnostics.ts';
import type { Project } from '../config/types.ts';
import type { PlanOptions } from './plan.ts';
import { ACTION_TITLE, nameOf, proposalBody, type Decided } from './proposal-body.ts';
import { AUTO_MERGEABLE, type FileEdit, type Proposal, type ProposalAction } from './types.ts';

/**
 * What every planning step shares: the project, the options, and the proposals and errors
 * collected so far (in the order the analyses were given, so the output order is stable).
 */
export interface PlanContext {
  project: Project;
  options: PlanOptions;
  /** The configured auto-merge actions, restricted to those that only reduce exposure. */
  autoMerge: Set<ProposalAction>;
  proposals: Proposal[];
  errors: Diagnostic[];
}

export function createPlanContext(project: Project, options: PlanOptions): PlanContext {
  return {
    project,
    options,
    autoMerge: new Set((options.autoMerge ?? []).filter((a) => AUTO_MERGEABLE.includes(a))),
    proposals: [],
    errors: [],
  };
}

/** A config problem of the planning step, anchored at the start of `file`. */
export function problem(code: string, file: string, message: string, hint: string): Diagnostic {
  return { code, severity: 'error', message, hint, file, line: 1, col: 1 };
}

/** What one proposal is: the decision, its resource kind, the percents and the headline. */
export interface ProposalDraft {
  action: ProposalAction;
  analysis: Decided;
  kind: Proposal['kind'];
  from: number;
  to: number | null;
  edits: Checked<FileEdit[]>;
  headline: string;
  /** ` in <env>` when the edit goes to an environment's override (the branch then names it). */
  where?: string;
}

/**
 * Records one proposal (branch, title, body, commit message) when its edits could be made; their
 * errors are collected either way.
 */
export function pushProposal(context: PlanContext, draft: ProposalDraft): void {
  const { action, analysis: a, kind, from, to, edits, headline, where = '' } = draft;
  context.errors.push(...edits.errors);
  if (!edits.value) return;
  const name = nameOf(a);
  const merge = context.autoMerge.has(action);
  const target = action === 'conclude' ? `v${to}` : to === null ? 'done' : String(to);
  context.proposals.push({
    action,
    resource: name,
    kind,
    from,
    to,
    branch: `switchyard/${action}/${name}${where === '' ? '' : `-${context.options.env}`}-${target}`,
    title: `${ACTION_TITLE[action]} ${name}: ${headline}`,
    body: proposalBody(action, `${ACTION_TITLE[action]} \`${name}\`: ${headline}`, a, edits.value, merge),
    commitMessage: `${action}(${name}): ${headline}\n\nProposed by switchyard propose from production evidence.`,
    edits: edits.value,
    autoMerge: merge,
  });
}

/** Reads `path` through `options.readFile` and applies `apply` to it: one update edit, or why not. */
export function editFile(
  context: PlanContext,
  path: string,
  apply: (text: string) => Checked<string>,
): Checked<FileEdit[]> {
  let before: string;
  try {
    before = context.options.readFile(path);
  } catch (error) {
    return {
      value: undefined,
      errors: [
        problem(
          'E_PROPOSE_READ',
          path,
          `cannot read ${path}: ${(error as Error).message}`,
          'run propose from the project root',
        ),
      ],
      warnings: [],
    };
  }
  const result = apply(before);
  return result.value === undefined
    ? { value: undefined, errors: result.errors, warnings: [] }
    : { value: [{ path, action: 'update', before, after: result.value }], errors: [], warnings: [] };
}
