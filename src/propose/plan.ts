import type { Checked, Diagnostic } from '../config/diagnostics.ts';
import type { Project } from '../config/types.ts';
import { fileKey } from '../config/index.ts';
import { setKilled } from '../config/edit/set-killed.ts';
import { effectivePercent } from '../bundle/effective-percent.ts';
import {
  nextStage,
  renderAnalysis,
  type CanaryAnalysis,
  type ExperimentAnalysis,
  type ShadowAnalysis,
} from '../analysis/index.ts';
import { setScalar } from '../config/edit/set-scalar.ts';
import { AUTO_MERGEABLE, type FileEdit, type Proposal, type ProposalAction } from './types.ts';

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

const ACTION_TITLE: Record<ProposalAction, string> = {
  advance: 'Advance',
  revert: 'Revert',
  kill: 'Kill',
  finish: 'Finish',
  conclude: 'Conclude',
};

type Decided = CanaryAnalysis | ShadowAnalysis | ExperimentAnalysis;
const nameOf = (a: Decided) => (a.kind === 'shadow' ? a.rollout : a.id);

function body(
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

function problem(code: string, file: string, message: string, hint: string): Diagnostic {
  return { code, severity: 'error', message, hint, file, line: 1, col: 1 };
}

/**
 * Turns decisions into proposals: YAML edits that keep comments and formatting, one branch and one
 * PR each. Never skips a stage (advances go to the next stage only). Pure: reads files through
 * `readFile`, touches nothing.
 */
export function planProposals(project: Project, analyses: Decided[], options: PlanOptions): Checked<Proposal[]> {
  const proposals: Proposal[] = [];
  const errors: Diagnostic[] = [];
  const autoMerge = new Set((options.autoMerge ?? []).filter((a) => AUTO_MERGEABLE.includes(a)));

  const push = (
    action: ProposalAction,
    a: Decided,
    kind: Proposal['kind'],
    from: number,
    to: number | null,
    edits: Checked<FileEdit[]>,
    headline: string,
    where = '',
  ) => {
    errors.push(...edits.errors);
    if (!edits.value) return;
    const name = nameOf(a);
    const merge = autoMerge.has(action);
    const target = action === 'conclude' ? `v${to}` : to === null ? 'done' : String(to);
    proposals.push({
      action,
      resource: name,
      kind,
      from,
      to,
      branch: `switchyard/${action}/${name}${where === '' ? '' : `-${options.env}`}-${target}`,
      title: `${ACTION_TITLE[action]} ${name}: ${headline}`,
      body: body(action, `${ACTION_TITLE[action]} \`${name}\`: ${headline}`, a, edits.value, merge),
      commitMessage: `${action}(${name}): ${headline}\n\nProposed by switchyard propose from production evidence.`,
      edits: edits.value,
      autoMerge: merge,
    });
  };

  /**
   * A winner concludes a running experiment: status → stopped; when the winner is not control, its
   * prompt version becomes active and the previously active one deprecated (the PR's eval then
   * checks the new active version against its minPassRate, as for any activation).
   */
  const conclude = (a: ExperimentAnalysis) => {
    const experiment = project.experiments.get(a.id);
    const path = project.files.get(fileKey('experiment', a.id));
    if (a.decision !== 'winner' || !a.winner || !experiment || !path || experiment.status !== 'running') return;
    const winner = experiment.variants[a.winner];
    const versions = project.prompts.get(experiment.prompt);
    if (!winner || !versions) return;
    const edits: FileEdit[] = [];
    const all = [edit(path, (t) => setScalar(t, ['status'], 'stopped', path))];
    const active = [...versions.values()].find((v) => v.status === 'active');
    if (active?.version !== winner.version) {
      const winnerPath = project.files.get(fileKey('prompt', experiment.prompt, winner.version));
      if (winnerPath) all.push(edit(winnerPath, (t) => setScalar(t, ['status'], 'active', winnerPath)));
      const activePath = active ? project.files.get(fileKey('prompt', experiment.prompt, active.version)) : undefined;
      if (activePath) all.push(edit(activePath, (t) => setScalar(t, ['status'], 'deprecated', activePath)));
    }
    for (const r of all) {
      if (!r.value) {
        errors.push(...r.errors);
        return;
      }
      edits.push(...r.value);
    }
    const lift = a.comparisons.find((c) => c.variant === a.winner)?.relativeLift;
    const headline = `${a.winner} wins (${experiment.prompt} v${winner.version}${lift !== null && lift !== undefined ? `, ${lift >= 0 ? '+' : ''}${(lift * 100).toFixed(1)}% ${a.metric}` : ''})`;
    push(
      'conclude',
      a,
      'Experiment',
      experiment.traffic,
      winner.version,
      { value: edits, errors: [], warnings: [] },
      headline,
    );
  };

  const edit = (path: string, apply: (text: string) => Checked<string>): Checked<FileEdit[]> => {
    let before: string;
    try {
      before = options.readFile(path);
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
  };

  for (const a of analyses) {
    if (a.kind === 'experiment') {
      conclude(a);
      continue;
    }
    const name = a.kind === 'canary' ? a.id : a.rollout;
    const path = project.files.get(fileKey('rollout', name));
    const resource = project.rollouts.get(name);
    if (!path || !resource || !('percent' in resource)) {
      errors.push(
        problem(
          'E_PROPOSE_UNKNOWN',
          '.',
          `no rollout file for '${name}'`,
          'the analysis and the project disagree: re-run from the same checkout',
        ),
      );
      continue;
    }
    const env = options.env;
    const effective = effectivePercent(resource, env);
    if (effective.killed) continue;
    const percent = effective.percent;
    // Edit what the environment reads: its override when it has one, else the shared value.
    const percentKey =
      effective.percentOverridden && env !== undefined ? ['environments', env, 'percent'] : ['percent'];
    const where = percentKey.length > 1 ? ` in ${env}` : '';
    const setPercent = (to: number) => edit(path, (t) => setScalar(t, percentKey, to, path));

    if (a.kind === 'canary') {
      if (a.decision === 'revert' && percent > 0) {
        push(
          'revert',
          a,
          'Canary',
          percent,
          0,
          setPercent(0),
          `${percent}% → 0%${where} (${a.metric} index ${a.index?.index.toFixed(3) ?? '–'})`,
          where,
        );
      } else if (
        a.decision === 'advance' &&
        a.nextPercent !== null &&
        a.nextPercent === nextStage(percent, resource.stages)
      ) {
        push(
          'advance',
          a,
          'Canary',
          percent,
          a.nextPercent,
          setPercent(a.nextPercent),
          `${percent}% → ${a.nextPercent}%${where}`,
          where,
        );
      }
      continue;
    }

    // ModelRollout, decided by its production shadow pairs.
    if (resource.kind !== 'ModelRollout') continue;
    // A failing model is killed everywhere (the kill switch is global and only reduces exposure).
    if (a.failing && percent > 0) {
      push(
        'kill',
        a,
        'ModelRollout',
        percent,
        0,
        edit(path, (t) => {
          const r = setKilled(t, { file: path });
          return r.value
            ? { value: r.value.text, errors: [], warnings: [] }
            : { value: undefined, errors: r.errors, warnings: [] };
        }),
        `shadow similarity below the gate (avg ${a.avg?.toFixed(3)})`,
      );
    } else if (a.readyToSwitch && percent < 100) {
      const next = nextStage(percent, resource.stages);
      if (next !== null)
        push(
          'advance',
          a,
          'ModelRollout',
          percent,
          next,
          setPercent(next),
          `${percent}% → ${next}% of new ${resource.model} conversations on ${resource.to}${where}`,
          where,
        );
    } else if (a.readyToSwitch && percent === 100) {
      // Moving the pin switches every environment: only when none of them still lags behind.
      const lagging = project.settings.environments
        .map((e) => e.name)
        .filter((name) => effectivePercent(resource, name).percent < 100);
      if (lagging.length > 0) continue;
      const pinPath = project.files.get(fileKey('model', resource.model));
      if (!pinPath) {
        errors.push(
          problem('E_PROPOSE_UNKNOWN', path, `model pin '${resource.model}' has no file`, 'fix the rollout reference'),
        );
        continue;
      }
      const pin = edit(pinPath, (t) => setScalar(t, ['snapshot'], resource.to, pinPath));
      // The rollout file goes: read through the same guarded helper, then turn the update into a delete.
      const rolloutFile = edit(path, (t) => ({ value: t, errors: [], warnings: [] }));
      const edits: Checked<FileEdit[]> =
        pin.value && rolloutFile.value
          ? {
              value: [...pin.value, { path, action: 'delete', before: rolloutFile.value[0]!.before }],
              errors: [],
              warnings: [],
            }
          : { value: undefined, errors: [...pin.errors, ...rolloutFile.errors], warnings: [] };
      push(
        'finish',
        a,
        'ModelRollout',
        100,
        null,
        edits,
        `pin ${resource.model} to ${resource.to} and remove the rollout`,
      );
    }
  }
  return { value: proposals, errors, warnings: [] };
}
