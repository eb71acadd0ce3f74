import { canonicalJson } from './canonical.ts';
import type { ParsedRepo, ParsedResource } from './read-resources.ts';
import type {
  CanaryResource,
  EmbeddingPhase,
  Experiment,
  FlagResource,
  ModelRolloutResource,
  Project,
  PromptVersion,
  RolloutResource,
} from './types.ts';

type PercentResource = FlagResource | ModelRolloutResource | CanaryResource;

const PHASES: readonly EmbeddingPhase[] = ['dual-write', 'backfill', 'dual-read', 'cutover', 'complete'];

/**
 * History rules (`--base`): compares the project at the base ref with the working tree and appends
 * errors to `headRepo`. Only head resources that passed their schema are judged; the base is taken
 * as it was (a broken base must not block the PR that fixes it).
 *
 * - a prompt version that is not a draft on the base is immutable except for `status` (and so are
 *   the files its tests reference: history-files.ts);
 * - a percent (default or per environment) may not skip a stage upward; a new rollout counts as 0;
 * - a running experiment may not change variants or weights without a new seed;
 * - an embedding migration moves at most one phase forward (a new one starts at dual-write).
 */
export function historyCheck(base: Project, head: Project, headRepo: ParsedRepo): void {
  void head;
  for (const resource of headRepo.resources) {
    if (!resource.valid) continue;
    if (resource.kind === 'prompt') checkImmutable(base, resource, headRepo);
    else if (resource.kind === 'experiment') checkExperiment(base, resource, headRepo);
    else if (resource.kind === 'rollout') checkRollout(base, resource, headRepo);
  }
}

function checkImmutable(base: Project, resource: ParsedResource, repo: ParsedRepo): void {
  const before = base.prompts.get(resource.name)?.get(resource.version ?? 0);
  if (!before || before.status === 'draft') return;
  const after = resource.data as unknown as PromptVersion;
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  keys.delete('status');
  const changed = [...keys].filter(
    (key) =>
      canonicalJson((before as unknown as Record<string, unknown>)[key]) !==
      canonicalJson((after as unknown as Record<string, unknown>)[key]),
  );
  if (changed.length === 0) return;
  const pointer = key0(changed, after);
  repo.errors.push(
    resource.file.diagnostic(
      'E_IMMUTABLE_VERSION',
      pointer,
      `${resource.name} v${resource.version} is ${before.status} on the base branch; changed: ${changed.join(', ')}.`,
      {
        key: true,
        hint: `Create prompts/${resource.name}/v${Math.max(...(base.prompts.get(resource.name)?.keys() ?? [0])) + 1}.yaml instead; only status may change here.`,
      },
    ),
  );
}

/** Pointer to the first changed key that still exists in the head document (else the document). */
function key0(changed: string[], after: object): string {
  const present = changed.find((key) => key in after);
  return present === undefined ? '' : `/${present}`;
}

function checkExperiment(base: Project, resource: ParsedResource, repo: ParsedRepo): void {
  const before = base.experiments.get(resource.name);
  const after = resource.data as unknown as Experiment;
  if (!before) return;
  for (const env of environmentsOf(before, after)) {
    const wasRunning = (env ? before.environments?.[env]?.status : undefined) ?? before.status;
    const isRunning = (env ? after.environments?.[env]?.status : undefined) ?? after.status;
    if (wasRunning !== 'running' || isRunning !== 'running') continue;
    const seedBefore = before.seed ?? before.experiment;
    const seedAfter = after.seed ?? after.experiment;
    if (seedBefore !== seedAfter) return;
    if (canonicalJson(before.variants) === canonicalJson(after.variants)) return;
    repo.errors.push(
      resource.file.diagnostic(
        'E_RUNNING_EXPERIMENT_CHANGED',
        '/variants',
        `experiment '${resource.name}' is running${env ? ` in ${env}` : ''} and its variants or weights changed, but the seed '${seedAfter}' did not.`,
        { key: true },
      ),
    );
    return;
  }
}

function environmentsOf(
  before: { environments?: Record<string, unknown> },
  after: { environments?: Record<string, unknown> },
): Array<string | undefined> {
  return [undefined, ...new Set([...Object.keys(before.environments ?? {}), ...Object.keys(after.environments ?? {})])];
}

function checkRollout(base: Project, resource: ParsedResource, repo: ParsedRepo): void {
  const after = resource.data as unknown as RolloutResource;
  const before = base.rollouts.get(resource.name);
  if (after.kind === 'EmbeddingMigration') {
    const previous = before?.kind === 'EmbeddingMigration' ? before : undefined;
    const migration = after;
    for (const env of environmentsOf(previous ?? {}, migration)) {
      const from = previous ? ((env ? previous.environments?.[env]?.phase : undefined) ?? previous.phase) : undefined;
      const to = (env ? migration.environments?.[env]?.phase : undefined) ?? migration.phase;
      const step = PHASES.indexOf(to) - (from === undefined ? -1 : PHASES.indexOf(from));
      if (step > 1) {
        const pointer =
          env && migration.environments?.[env]?.phase !== undefined ? `/environments/${env}/phase` : '/phase';
        repo.errors.push(
          resource.file.diagnostic(
            'E_PHASE_SKIP',
            pointer,
            `phase${env ? ` in ${env}` : ''} moves from ${from ?? '(new migration)'} to ${to}, skipping ${PHASES.slice(PHASES.indexOf(from ?? 'dual-write') + (from === undefined ? 0 : 1), PHASES.indexOf(to)).join(', ')}.`,
            {
              hint: `Move to ${from === undefined ? 'dual-write' : PHASES[PHASES.indexOf(from) + 1]} first; stepping back is always allowed.`,
            },
          ),
        );
      }
    }
    return;
  }
  if (after.kind === 'SchemaMigration') return;
  const previous = before && before.kind === after.kind ? (before as PercentResource) : undefined;
  checkPercentSteps(resource, after, previous, repo);
}

function checkPercentSteps(
  resource: ParsedResource,
  after: PercentResource,
  previous: PercentResource | undefined,
  repo: ParsedRepo,
): void {
  for (const env of environmentsOf(previous ?? {}, after)) {
    const from = previous ? ((env ? previous.environments?.[env]?.percent : undefined) ?? previous.percent) : 0;
    const to = (env ? after.environments?.[env]?.percent : undefined) ?? after.percent;
    if (to <= from) continue;
    const next = after.stages.find((stage) => stage > from);
    if (next === undefined || to <= next) continue;
    const pointer =
      env && after.environments?.[env]?.percent !== undefined ? `/environments/${env}/percent` : '/percent';
    repo.errors.push(
      resource.file.diagnostic(
        'E_STAGE_SKIP',
        pointer,
        `percent${env ? ` in ${env}` : ''} moves from ${from}${previous ? '' : ' (new rollout)'} to ${to}, skipping stage ${next}.`,
        {
          hint: `Raise it to ${next} first; a downward move is always allowed.`,
        },
      ),
    );
  }
}
