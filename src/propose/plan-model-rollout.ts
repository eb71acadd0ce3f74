import type { Checked } from '../config/diagnostics.ts';
import type { ModelRolloutResource } from '../config/types.ts';
import { fileKey } from '../config/index.ts';
import { setKilled } from '../config/edit/set-killed.ts';
import { setScalar } from '../config/edit/set-scalar.ts';
import { effectivePercent } from '../bundle/effective-percent.ts';
import { nextStage, type ShadowAnalysis } from '../analysis/index.ts';
import { editFile, problem, pushProposal, type PlanContext } from './plan-context.ts';
import type { RolloutTarget } from './rollout-target.ts';
import type { FileEdit } from './types.ts';

/**
 * A model rollout, decided by its production shadow pairs: a failing model is killed, a ready one
 * advances to its next stage, and at 100% everywhere the model pin moves and the rollout goes.
 */
export function planModelRollout(
  context: PlanContext,
  a: ShadowAnalysis,
  target: RolloutTarget<ModelRolloutResource>,
): void {
  const { resource, percent, where, setPercent } = target;
  // A failing model is killed everywhere (the kill switch is global and only reduces exposure).
  if (a.failing && percent > 0) {
    planKill(context, a, target);
  } else if (a.readyToSwitch && percent < 100) {
    const next = nextStage(percent, resource.stages);
    if (next !== null)
      pushProposal(context, {
        action: 'advance',
        analysis: a,
        kind: 'ModelRollout',
        from: percent,
        to: next,
        edits: setPercent(next),
        headline: `${percent}% → ${next}% of new ${resource.model} conversations on ${resource.to}${where}`,
        where,
      });
  } else if (a.readyToSwitch && percent === 100) {
    planFinish(context, a, target);
  }
}

/** Kills the rollout through its kill switch. */
function planKill(context: PlanContext, a: ShadowAnalysis, target: RolloutTarget<ModelRolloutResource>): void {
  const { path, percent } = target;
  pushProposal(context, {
    action: 'kill',
    analysis: a,
    kind: 'ModelRollout',
    from: percent,
    to: 0,
    edits: editFile(context, path, (t) => {
      const r = setKilled(t, { file: path });
      return r.value
        ? { value: r.value.text, errors: [], warnings: [] }
        : { value: undefined, errors: r.errors, warnings: [] };
    }),
    headline: `shadow similarity below the gate (avg ${a.avg?.toFixed(3)})`,
  });
}

/** Moves the model pin to the new snapshot and deletes the rollout file. */
function planFinish(context: PlanContext, a: ShadowAnalysis, target: RolloutTarget<ModelRolloutResource>): void {
  const { project } = context;
  const { path, resource } = target;
  // Moving the pin switches every environment: only when none of them still lags behind.
  const lagging = project.settings.environments
    .map((e) => e.name)
    .filter((name) => effectivePercent(resource, name).percent < 100);
  if (lagging.length > 0) return;
  const pinPath = project.files.get(fileKey('model', resource.model));
  if (!pinPath) {
    context.errors.push(
      problem('E_PROPOSE_UNKNOWN', path, `model pin '${resource.model}' has no file`, 'fix the rollout reference'),
    );
    return;
  }
  const pin = editFile(context, pinPath, (t) => setScalar(t, ['snapshot'], resource.to, pinPath));
  // The rollout file goes: read through the same guarded helper, then turn the update into a delete.
  const rolloutFile = editFile(context, path, (t) => ({ value: t, errors: [], warnings: [] }));
  const edits: Checked<FileEdit[]> =
    pin.value && rolloutFile.value
      ? {
          value: [...pin.value, { path, action: 'delete', before: rolloutFile.value[0]!.before }],
          errors: [],
          warnings: [],
        }
      : { value: undefined, errors: [...pin.errors, ...rolloutFile.errors], warnings: [] };
  pushProposal(context, {
    action: 'finish',
    analysis: a,
    kind: 'ModelRollout',
    from: 100,
    to: null,
    edits,
    headline: `pin ${resource.model} to ${resource.to} and remove the rollout`,
  });
}
