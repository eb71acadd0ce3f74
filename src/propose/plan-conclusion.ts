import { fileKey } from '../config/index.ts';
import { setScalar } from '../config/edit/set-scalar.ts';
import type { ExperimentAnalysis } from '../analysis/index.ts';
import { editFile, pushProposal, type PlanContext } from './plan-context.ts';
import type { FileEdit } from './types.ts';

/**
 * A winner concludes a running experiment: status → stopped; when the winner is not control, its
 * prompt version becomes active and the previously active one deprecated (the PR's eval then
 * checks the new active version against its minPassRate, as for any activation).
 */
export function planConclusion(context: PlanContext, a: ExperimentAnalysis): void {
  const { project } = context;
  const experiment = project.experiments.get(a.id);
  const path = project.files.get(fileKey('experiment', a.id));
  if (a.decision !== 'winner' || !a.winner || !experiment || !path || experiment.status !== 'running') return;
  const winner = experiment.variants[a.winner];
  const versions = project.prompts.get(experiment.prompt);
  if (!winner || !versions) return;
  const edits: FileEdit[] = [];
  const all = [editFile(context, path, (t) => setScalar(t, ['status'], 'stopped', path))];
  const active = [...versions.values()].find((v) => v.status === 'active');
  if (active?.version !== winner.version) {
    const winnerPath = project.files.get(fileKey('prompt', experiment.prompt, winner.version));
    if (winnerPath) all.push(editFile(context, winnerPath, (t) => setScalar(t, ['status'], 'active', winnerPath)));
    const activePath = active ? project.files.get(fileKey('prompt', experiment.prompt, active.version)) : undefined;
    if (activePath) all.push(editFile(context, activePath, (t) => setScalar(t, ['status'], 'deprecated', activePath)));
  }
  for (const r of all) {
    if (!r.value) {
      context.errors.push(...r.errors);
      return;
    }
    edits.push(...r.value);
  }
  const lift = a.comparisons.find((c) => c.variant === a.winner)?.relativeLift;
  const headline = `${a.winner} wins (${experiment.prompt} v${winner.version}${lift !== null && lift !== undefined ? `, ${lift >= 0 ? '+' : ''}${(lift * 100).toFixed(1)}% ${a.metric}` : ''})`;
  pushProposal(context, {
    action: 'conclude',
    analysis: a,
    kind: 'Experiment',
    from: experiment.traffic,
    to: winner.version,
    edits: { value: edits, errors: [], warnings: [] },
    headline,
  });
}
