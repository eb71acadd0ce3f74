import type {
  CanaryResource,
  EmbeddingMigrationResource,
  ModelRolloutResource,
  RolloutResource,
  SchemaMigrationResource,
} from '../config/types.ts';
import { bundleDiagnostic } from './codes.ts';
import { checkOverrideEnvs, rangeCheck, type CompileContext } from './compile-context.ts';
import { effectivePercent } from './effective-percent.ts';
import type {
  PayloadCanary,
  PayloadEmbeddingMigration,
  PayloadFlag,
  PayloadModelRollout,
  PayloadSchemaMigration,
} from './runtime-format.ts';
import { schemaMigrationPayload } from './schema-migration-payload.ts';
import { embeddingRoutes, embeddingTarget, nextStage, shareToPpm, thresholdPpm } from './tables.ts';

/** The payload sections compiled from `rollouts/`, and which rollouts attach to each model. */
export interface CompiledRollouts {
  flags: Record<string, PayloadFlag>;
  modelRollouts: Record<string, PayloadModelRollout>;
  canaries: Record<string, PayloadCanary>;
  embeddingMigrations: Record<string, PayloadEmbeddingMigration>;
  schemaMigrations: Record<string, PayloadSchemaMigration>;
  /** Model alias → flags of its rollouts that are not killed (more than one is a conflict). */
  activeRolloutByModel: Map<string, string[]>;
  /** Model alias → flags of its killed rollouts. */
  killedRolloutByModel: Map<string, string[]>;
}

type PercentResource = Exclude<RolloutResource, EmbeddingMigrationResource | SchemaMigrationResource>;

function isPercentResource(r: RolloutResource): r is PercentResource {
  return r.kind === 'Flag' || r.kind === 'ModelRollout' || r.kind === 'Canary';
}

/** Flags, model rollouts, canaries and migrations, in name order. */
export function compileRollouts(context: CompileContext): CompiledRollouts {
  const out: CompiledRollouts = {
    flags: {},
    modelRollouts: {},
    canaries: {},
    embeddingMigrations: {},
    schemaMigrations: {},
    activeRolloutByModel: new Map(),
    killedRolloutByModel: new Map(),
  };
  for (const [name, r] of [...context.project.rollouts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const file = context.fileOf.rollout(name);
    checkOverrideEnvs(context, 'environments' in r ? r.environments : undefined, file);
    if (isPercentResource(r)) compilePercentRollout(context, r, file, out);
    else if (r.kind === 'EmbeddingMigration')
      out.embeddingMigrations[r.migration] = compileEmbeddingMigration(context, r);
    else out.schemaMigrations[r.migration] = schemaMigrationPayload(r);
  }
  return out;
}

/** A Flag, ModelRollout or Canary: its flag at the environment's effective percent, plus its kind's section. */
function compilePercentRollout(context: CompileContext, r: PercentResource, file: string, out: CompiledRollouts): void {
  const { env } = context;
  const { percent, killed } = effectivePercent(r, env);
  rangeCheck(
    context,
    percent,
    100,
    file,
    env in (r.environments ?? {}) ? `/environments/${env}/percent` : '/percent',
    'percent',
  );
  out.flags[r.flag] = {
    name: r.flag,
    kind: r.kind,
    seed: r.seed ?? r.flag,
    unit: r.unit,
    percent,
    thresholdPpm: thresholdPpm(percent, killed),
    killed,
    stages: [...r.stages],
  };
  if (r.kind === 'ModelRollout') compileModelRollout(context, r, killed, out);
  if (r.kind === 'Canary') out.canaries[r.flag] = compileCanary(r, percent);
}

function compileModelRollout(
  context: CompileContext,
  r: ModelRolloutResource,
  killed: boolean,
  compiled: CompiledRollouts,
): void {
  const { modelRollouts: out, activeRolloutByModel: activeByModel, killedRolloutByModel: killedByModel } = compiled;
  const file = context.fileOf.rollout(r.flag);
  const pin = context.project.models.get(r.model);
  if (!pin) {
    context.errors.push(
      bundleDiagnostic(
        'E_BUNDLE_DANGLING_REF',
        file,
        `model rollout ${r.flag} targets unknown model "${r.model}"`,
        '/model',
      ),
    );
    return;
  }
  rangeCheck(context, r.shadow.sampleRate, 1, file, '/shadow/sampleRate', 'shadow sampleRate');
  out[r.flag] = {
    flag: r.flag,
    model: r.model,
    from: pin.snapshot,
    to: r.to,
    shadow: {
      dataset: r.shadow.dataset,
      sampleRate: r.shadow.sampleRate,
      sampleRatePpm: shareToPpm(r.shadow.sampleRate),
      gate: { minAvgSimilarity: r.shadow.gate.minAvgSimilarity, minMinSimilarity: r.shadow.gate.minMinSimilarity },
    },
  };
  // A killed rollout stays attached to its model so the runtime answers `killed` (not `default`) while
  // the kill switch is on. A rollout at 0% is attached too: nobody is served the candidate, but
  // shadow() samples it — shadow mode before the first stage, as the article runs it.
  if (killed) killedByModel.set(r.model, [...(killedByModel.get(r.model) ?? []), r.flag]);
  else activeByModel.set(r.model, [...(activeByModel.get(r.model) ?? []), r.flag]);
}

function compileCanary(r: CanaryResource, percent: number): PayloadCanary {
  return {
    flag: r.flag,
    control: { ...r.control },
    candidate: { ...r.candidate },
    analysis: {
      metric: r.analysis.metric,
      revertBelow: r.analysis.revertBelow,
      advanceAbove: r.analysis.advanceAbove,
      minSamples: r.analysis.minSamples,
      next: r.analysis.next ?? nextStage(r.stages, percent),
    },
  };
}

/** An EmbeddingMigration at the environment's phase: where writes and reads go, and whether to backfill. */
function compileEmbeddingMigration(context: CompileContext, r: EmbeddingMigrationResource): PayloadEmbeddingMigration {
  const phase = r.environments?.[context.env]?.phase ?? r.phase;
  const routes = embeddingRoutes(phase, r.from, r.to, r.storage);
  return {
    id: r.migration,
    phase,
    from: embeddingTarget(r.from, r.storage, 'from'),
    to: embeddingTarget(r.to, r.storage, 'to'),
    write: routes.write,
    read: routes.read,
    backfill: {
      batchSize: r.backfill.batchSize,
      concurrency: r.backfill.concurrency,
      active: routes.backfillActive,
    },
  };
}
